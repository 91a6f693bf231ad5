#include <vanity_shard.h>
#include <vanity/vanity.h>
/* The hostile writer. It owns the "from" end of every channel here and
 * writes the indices only the reader should write (the ring is mapped into
 * both): each reader must neither loop on them nor leave its ring, and the
 * kernel must not loop on them when the reader restarts. */

static void sleep_until(int64_t t) {
  for (int64_t now = vanity_time_ns(); now < t; now = vanity_time_ns()) vanity_wait((uint64_t)(t - now));
}
static void sleep_ms(int64_t ms) { sleep_until(vanity_time_ns() + ms * 1000000ll); }

/* Sends `n` messages and waits until the reader has consumed them and gone
 * back to sleep (so it has handed every slot back). */
static void feed(const struct vanity_channel *ch, uint32_t n) {
  for (uint64_t i = 1; i <= n; i++) vanity_send(ch, &i);
  int64_t give_up = vanity_time_ns() + 10000000000ll;
  while (__atomic_load_n(&ch->ring->consumer.tail, __ATOMIC_ACQUIRE) != ch->ring->producer.head && vanity_time_ns() < give_up) sleep_ms(1);
}

int main(void) {
  sleep_ms(100); /* every reader is up and waiting */
  feed(&vanity_channel_stall, 5);
  feed(&vanity_channel_swiftstall, 5);
  feed(&vanity_channel_far, 5);
  sleep_ms(50);

  /* A reader's hand-back would walk from `released` up to its tail: one
   * past the tail is 2^32 - 1 slots away. */
  struct vanity_ring *r = vanity_channel_stall.ring;
  __atomic_store_n(&r->info.released, r->consumer.tail + 1, __ATOMIC_RELEASE);
  r = vanity_channel_swiftstall.ring;
  __atomic_store_n(&r->info.released, r->consumer.tail + 1, __ATOMIC_RELEASE);
  /* A head 2^31 - 1 ahead: a reader that believed it would read far
   * outside its ring if it did not wrap every index. */
  r = vanity_channel_far.ring;
  __atomic_store_n(&r->producer.head, r->consumer.tail + 0x7fffffffu, __ATOMIC_RELEASE);
  vanity_notify(VANITY_CHANNEL_STALL_ID);
  vanity_notify(VANITY_CHANNEL_SWIFTSTALL_ID);
  vanity_notify(VANITY_CHANNEL_FAR_ID);
  vanity_notify(VANITY_CHANNEL_WAKE_ID); /* the sleeper's first wait(~0) */

  /* The restarting reader: head one past its tail, released two past, then
   * it faults. The kernel hands back what the old code consumed, from
   * `released` to the new tail. */
  r = vanity_channel_wrap.ring;
  uint32_t tail = r->consumer.tail;
  __atomic_store_n(&r->producer.head, tail + 1, __ATOMIC_RELEASE);
  __atomic_store_n(&r->info.released, tail + 2, __ATOMIC_RELEASE);
  int64_t t0 = vanity_time_ns();
  vanity_notify(VANITY_CHANNEL_WRAP_ID);
  uint32_t peer = vanity_channel_wrap.peer;
  while (vanity_generation(peer) < 2 && vanity_time_ns() - t0 < 60000000000ll) sleep_ms(1);
  vanity_printf("evil: restarter restarted in %ld ms\n", (vanity_time_ns() - t0) / 1000000);
  uint64_t m = 42;
  vanity_printf("evil: sent 42 to the restarted reader: %d\n", vanity_try_send(&vanity_channel_wrap, &m));

  /* The sleeper's second wait(~0 - 1e9) starts 1.2 s after boot. */
  sleep_until(1700000000ll);
  vanity_notify(VANITY_CHANNEL_WAKE_ID);
  sleep_ms(300);
  /* The interrupt shard's second run says when it is done. */
  int64_t give_up = vanity_time_ns() + 20000000000ll;
  while (!vanity_try_recv(&vanity_channel_irqdone, &m) && vanity_time_ns() < give_up) sleep_ms(10);
  vanity_printf("evil: done\n");
  vanity_shutdown(0);
  return 1;
}

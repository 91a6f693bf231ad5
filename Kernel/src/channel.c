/* Channels: ring initialisation, notifications and generations. The data
 * path (reading and writing slots) never enters the kernel; see ring.h. */
#include "internal.h"

static struct vanity_ring *ring_of(const struct vanity_channel_desc *c) {
  return (struct vanity_ring *)(uintptr_t)c->phys;
}

void channels_init(void) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t i = 0; i < sys->channel_count; i++) {
    const struct vanity_channel_desc *c = &sys->channels[i];
    vanity_ring_init(ring_of(c), c->msg_size, c->slots, 0);
  }
}

static uint64_t slot_word(struct vanity_ring *r, const struct vanity_channel_desc *c, uint32_t index) {
  return __atomic_load_n(vanity_ring_slot_word(r, c->msg_size, c->slots, index), __ATOMIC_ACQUIRE);
}

/* A restarted reader starts at `tail`; what the old code had consumed is
 * handed back (its slots marked free), and the new code trusts no mark
 * until it has marked every slot itself: the old one may have stopped
 * anywhere. Every index here was written by a shard (`released` even by
 * the writer): the kernel never loops on a distance between them, it takes
 * at most `slots` steps (vanity_ring_release_slots clamps). */
static void reader_restarted(const struct vanity_channel_desc *c, struct vanity_ring *r, uint32_t tail) {
  r->consumer.cached_head = tail;
  __atomic_store_n(&r->consumer.tail, tail, __ATOMIC_RELEASE);
  vanity_ring_release_slots(r, c->msg_size, c->slots, r->info.released, tail);
  __atomic_store_n(&r->consumer.marks_pending, c->slots, __ATOMIC_RELEASE);
}

/* A writer may have stopped after writing messages' first words (the last
 * word of each it writes) but before publishing `head`: those messages are
 * complete, and the reader may already have taken some by their marks. So
 * `head` moves over every such message, and past anything the reader has
 * taken, and `escapes` is bumped in case the writer stopped between
 * publishing a message that starts with the mark and saying so. */
static void writer_restarted(const struct vanity_channel_desc *c, struct vanity_ring *r) {
  uint32_t head = __atomic_load_n(&r->producer.head, __ATOMIC_ACQUIRE);
  if (!__atomic_load_n(&r->info.in_place_sends, __ATOMIC_ACQUIRE)) /* at most `slots` steps */
    while (head - __atomic_load_n(&r->info.released, __ATOMIC_ACQUIRE) < c->slots && slot_word(r, c, head) != VANITY_RING_FREE_MARK)
      head++;
  uint32_t tail = __atomic_load_n(&r->consumer.tail, __ATOMIC_ACQUIRE);
  if ((int32_t)(tail - head) > 0 || head - tail > c->slots) head = tail; /* behind the reader, or beyond the ring */
  __atomic_store_n(&r->producer.head, head, __ATOMIC_RELEASE);
  __atomic_fetch_add(&r->info.escapes, 1u, __ATOMIC_ACQ_REL);
}

void shard_kick(struct shard_state *s) {
  uint32_t here = platform_core_id(), me = here < VANITY_MAX_CORES ? kstate.cpu_current[here] : here;
  for (uint64_t left = s->cores & ~(1ull << me); left; left &= left - 1u) kernel_kick_from((uint32_t)__builtin_ctzll(left), here);
}

void shard_wake(struct shard_state *s, uint64_t bits) {
  /* Every core of a shard on several cores hears every wake: each polls
   * what it serves and waits again (docs/abi.md). */
  uint32_t here = platform_core_id(), me = here < VANITY_MAX_CORES ? kstate.cpu_current[here] : here;
  for (uint64_t left = s->cores; left; left &= left - 1u) {
    uint32_t c = (uint32_t)__builtin_ctzll(left);
    __atomic_fetch_or(&kstate.wake[c], bits, __ATOMIC_ACQ_REL);
    if (c != me) kernel_kick_from(c, here);
  }
}

/* The other endpoint of `c`, and the bits that wake it for `c`: the
 * channel's bit at its own index in that endpoint's list (syscall.h). */
static uint16_t peer_of(const struct vanity_channel_desc *c, uint16_t me) { return c->from == me ? c->to : c->from; }
static uint64_t peer_wake(const struct vanity_channel_desc *c, uint16_t me) {
  return VANITY_WAKE_CHANNEL | vanity_wake_channel_bit(c->from == me ? c->to_index : c->from_index);
}

/* Wakes the other endpoint of `channel`. Only an endpoint may notify. */
int64_t channel_notify(struct shard_state *caller, uint64_t channel) {
  const struct vanity_system *sys = kstate.sys;
  if (channel >= sys->channel_count) return VANITY_E_INVALID;
  const struct vanity_channel_desc *c = &sys->channels[channel];
  uint16_t me = caller->desc->id;
  if (c->from != me && c->to != me) return VANITY_E_DENIED;
  shard_wake(&kstate.shards[peer_of(c, me)], peer_wake(c, me));
  return VANITY_OK;
}

/* After a shard restarts: every ring it is an endpoint of is reset to empty
 * and its generation bumped, so the peer can tell (docs/abi.md, "Restarts"). */
static void endpoint_restarted(uint32_t shard, int keep_messages) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t i = 0; i < sys->channel_count; i++) {
    const struct vanity_channel_desc *c = &sys->channels[i];
    if (c->from != shard && c->to != shard) continue;
    struct vanity_ring *r = ring_of(c);
    /* A restarted reader skips what it never saw (a reloaded one keeps
     * it); a restarted writer continues after the last message the reader
     * may still consume. */
    if (c->to == shard) {
      uint32_t head = __atomic_load_n(&r->producer.head, __ATOMIC_ACQUIRE);
      uint32_t tail = __atomic_load_n(&r->consumer.tail, __ATOMIC_ACQUIRE);
      reader_restarted(c, r, !keep_messages && (int32_t)(head - tail) > 0 ? head : tail);
    } else {
      writer_restarted(c, r);
    }
    r->producer.consumer_waiting = 0;
    r->consumer.producer_waiting = 0;
    __atomic_fetch_add(&r->info.generation, 1u, __ATOMIC_ACQ_REL);
    shard_wake(&kstate.shards[peer_of(c, (uint16_t)shard)], peer_wake(c, (uint16_t)shard));
  }
}

void channels_bump_generation(uint32_t shard) { endpoint_restarted(shard, 0); }

/* A reload swaps code at a quiescent point: the rings keep every message
 * (a reloaded reader continues at its last released index, so messages it
 * had peeked but not released are delivered again; a reloaded writer's
 * uncommitted reservations are simply never published). */
void channels_reloaded(uint32_t shard) { endpoint_restarted(shard, 1); }

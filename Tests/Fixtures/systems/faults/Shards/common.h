/* Shared by the test systems' shards: the ticker/tally pipeline. */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H
#include <vanity_shard.h>
#include <vanity/vanity.h>

/* The tally stops after at least this many ticks and this much time, so
 * misbehaving shards have long enough to fault, restart and be held. */
#define TICKS 200000u
#ifndef MIN_RUN_NS
#define MIN_RUN_NS 600000000ll
#endif

static inline int ticker_main(const struct vanity_channel *out) {
  uint64_t batch[32];
  uint64_t seq = 1;
  for (;;) {
    for (uint32_t n = 0; n < 32; n++) batch[n] = seq++;
    vanity_send_batch(out, batch, 32);
  }
}

static inline int tally_main(const struct vanity_channel *in) {
  uint64_t batch[32];
  uint64_t expected = 1;
  int64_t start = vanity_time_ns();
  while (expected <= TICKS || vanity_time_ns() - start < MIN_RUN_NS) {
    uint32_t n = vanity_recv_batch(in, batch, 32);
    for (uint32_t i = 0; i < n; i++, expected++) {
      if (batch[i] != expected) {
        vanity_printf("tally: GAP: expected %lu, got %lu\n", expected, batch[i]);
        vanity_shutdown(1);
      }
    }
  }
  vanity_printf("tally: %lu ticks in order, no gap\n", expected - 1);
  vanity_shutdown(0);
  return 1;
}
#endif

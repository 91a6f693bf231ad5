/* Counts the ticks in order until they stop for a second (the test holds
 * the ticker when it is done driving the link), then stops the system. */
#include "../common.h"

int main(void) {
  uint64_t batch[32];
  uint64_t expected = 1;
  int64_t last = 0;
  for (;;) {
    uint32_t n = vanity_try_recv_batch(&vanity_channel_ticks, batch, 32);
    for (uint32_t i = 0; i < n; i++, expected++) {
      if (batch[i] != expected) {
        vanity_printf("tally: GAP: expected %lu, got %lu\n", expected, batch[i]);
        vanity_shutdown(1);
      }
    }
    int64_t now = vanity_time_ns();
    if (n) last = now;
    else if (last && now - last > 1000000000ll) break;
    else vanity_wait(1000000);
  }
  vanity_printf("tally: %lu ticks in order, no gap\n", expected - 1);
  vanity_shutdown(0);
  return 1;
}

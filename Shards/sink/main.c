/* Demo sink (C17): checks sequence and content of what arrives on "results",
 * then shuts the system down with status 0 (or 1 on the first mismatch). */
#include <vanity_shard.h>
#include <vanity/vanity.h>

#include "../demo.h"

int main(void) {
  const struct vanity_channel *in = &vanity_channel_results;
  struct demo_msg batch[16];
  uint32_t expected = 1;
  int64_t start = vanity_time_ns();
  vanity_printf("sink: waiting for %u messages\n", DEMO_MESSAGES);
  while (expected <= DEMO_MESSAGES) {
    uint32_t n = vanity_recv_batch(in, batch, 16);
    for (uint32_t i = 0; i < n; i++, expected++) {
      const struct demo_msg *m = &batch[i];
      int bad = m->seq != expected || m->check != demo_expected_check(expected);
      for (int k = 0; k < 7 && !bad; k++) bad = m->payload[k] != (uint64_t)expected * (uint64_t)(k + 1);
      if (bad) {
        vanity_printf("sink: FAIL message %u: got seq %u check %x\n", expected, m->seq, m->check);
        vanity_shutdown(1);
      }
      if (expected % (DEMO_MESSAGES / 4) == 0) vanity_printf("sink: %u messages in order\n", expected);
    }
  }
  int64_t ns = vanity_time_ns() - start;
  uint64_t per_sec = ns > 0 ? (uint64_t)DEMO_MESSAGES * 1000000000ull / (uint64_t)ns : 0;
  vanity_printf("sink: all %u messages arrived in order and intact (%lu ms, %lu msg/s)\n", DEMO_MESSAGES,
                (uint64_t)ns / 1000000u, per_sec);
  vanity_printf("sink: shutting the system down\n");
  vanity_shutdown(0);
  return 1;
}

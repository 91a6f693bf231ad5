/* Demo producer (C17): feeds numbered messages into "samples". */
#include <vanity_shard.h>
#include <vanity/vanity.h>

#include "../demo.h"

int main(void) {
  const struct vanity_channel *out = &vanity_channel_samples;
  vanity_printf("producer: sending %u messages to the transformer\n", DEMO_MESSAGES);
  struct demo_msg batch[16];
  uint32_t seq = 1;
  while (seq <= DEMO_MESSAGES) {
    uint32_t n = 0;
    for (; n < 16 && seq <= DEMO_MESSAGES; n++, seq++) demo_fill(&batch[n], seq);
    vanity_send_batch(out, batch, n);
  }
  vanity_printf("producer: all %u messages sent\n", DEMO_MESSAGES);
  for (;;) vanity_wait(0);
}

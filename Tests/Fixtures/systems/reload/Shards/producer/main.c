/* Sends its counter to the transformer and, directly, to the sink: about
 * 8,000 messages a second, until the test holds it. */
#include <vanity/vanity.h>

#include "../message.h"

int main(void) {
  struct reload_msg m = {0};
  for (uint32_t seq = 0;;) {
    for (int i = 0; i < 8; i++, seq++) {
      m.seq = seq;
      m.check = reload_check(seq);
      vanity_send(&vanity_channel_raw, &m);
      vanity_send(&vanity_channel_direct, &m);
    }
    vanity_wait(1000000);
  }
}

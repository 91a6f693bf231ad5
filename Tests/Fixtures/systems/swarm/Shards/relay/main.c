#include "../swarm.h"
int main(void) {
  struct swarm_msg batch[3];
  for (;;) {
    uint32_t n = vanity_recv_batch(&vanity_channel_a, batch, 3);
    vanity_send_batch(&vanity_channel_b, batch, n);
  }
}

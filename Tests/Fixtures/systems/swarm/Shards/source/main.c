#include "../swarm.h"
int main(void) {
  for (uint64_t seq = 1; seq <= SWARM_MESSAGES; seq++) {
    struct swarm_msg m = {seq, swarm_check(seq)};
    vanity_send(&vanity_channel_a, &m);
  }
  for (;;) vanity_wait(0);
}

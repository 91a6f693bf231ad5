#include "../swarm.h"
int main(void) {
  uint64_t expected = 1;
  while (expected <= SWARM_MESSAGES) {
    struct swarm_msg m;
    vanity_recv(&vanity_channel_b, &m);
    if (m.seq != expected || m.check != swarm_check(expected)) {
      vanity_printf("sink: FAIL: expected %lu, got %lu\n", expected, m.seq);
      vanity_shutdown(1);
    }
    expected++;
  }
  vanity_printf("sink: %u messages exactly once and in order\n", SWARM_MESSAGES);
  vanity_shutdown(0);
  return 1;
}

#include "../swarm.h"
/* Many scheduling points, so injected kills and traps land here. */
int main(void) {
  int64_t g = vanity_generation(VANITY_SHARD_ID);
  vanity_printf("victim: generation %ld\n", g);
  for (int i = 0; i < 100; i++) vanity_generation(VANITY_SHARD_ID);
  vanity_printf("victim: generation %ld finished\n", g);
  return 0;
}

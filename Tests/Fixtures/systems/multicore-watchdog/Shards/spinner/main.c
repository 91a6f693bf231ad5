#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Both cores say who they are, then wait for good; in generation 1 core
 * index 1 spins instead, with no heartbeat and no wait. */
int main(void) {
  uint32_t k = vanity_core_index();
  uint32_t generation = (uint32_t)vanity_generation(VANITY_SHARD_ID);
  vanity_printf("spinner: core index %u, generation %u\n", k, generation);
  if (generation == 1 && k == 1)
    for (;;) vanity_arch_pause();
  for (;;) vanity_wait(0);
}

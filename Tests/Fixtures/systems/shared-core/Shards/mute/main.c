#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* lo's equal, counting without a system call; its first generation never
 * beats, so its watchdog fires once it has run 100 ms, spread over many of
 * its turns on the shared core. The second generation beats. */
int main(void) {
  struct board *b = vanity_region_board.base;
  uint32_t generation = (uint32_t)vanity_generation(ID_MUTE);
  b->mute_generation = generation;
  vanity_printf("mute: generation %u counting\n", generation);
  for (;;)
    if (++b->mute_count % 1024 == 0 && generation > 1) vanity_alive();
}

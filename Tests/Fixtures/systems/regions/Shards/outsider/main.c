#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"

/* Maps no region: the shelf's address, learnt from the writer, is not its. */
int main(void) {
  int64_t generation = vanity_generation(VANITY_SHARD_ID);
  if (generation > 1) {
    vanity_printf("outsider: generation %ld\n", generation);
    return 0;
  }
  uint64_t shelf = 0;
  vanity_recv(&vanity_channel_tip, &shelf);
  vanity_printf("outsider: reading the shelf at 0x%lx, which it does not map\n", shelf + PEEK_AT);
  uint64_t v = *(volatile uint64_t *)(uintptr_t)(shelf + PEEK_AT);
  vanity_printf("outsider: STILL RUNNING (read 0x%lx)\n", v);
  return 1;
}

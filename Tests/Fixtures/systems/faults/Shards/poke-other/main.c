#include <vanity_shard.h>
#include <vanity/vanity.h>
/* The page below this shard's text is the previous shard's (tally's) stack. */
int main(void) {
  vanity_printf("poke-other: writing to 0x%lx\n", (uint64_t)(VANITY_SHARD_TEXT_BASE - 8));
  *(volatile uint64_t *)(uintptr_t)(VANITY_SHARD_TEXT_BASE - 8) = 0xdead;
  vanity_printf("poke-other: STILL RUNNING\n");
  return 0;
}

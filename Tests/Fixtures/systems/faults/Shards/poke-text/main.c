#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  *(volatile uint32_t *)(uintptr_t)VANITY_SHARD_TEXT_BASE = 0;
  vanity_printf("poke-text: STILL RUNNING\n");
  return 0;
}

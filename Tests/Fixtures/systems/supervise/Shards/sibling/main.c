/* Tells the boss which generation this is, then waits for ever. */
#include <vanity/vanity.h>
int main(void) {
  uint64_t g = (uint64_t)vanity_generation(VANITY_SHARD_ID);
  vanity_printf("sibling: generation %lu\n", g);
  vanity_send(&vanity_channel_sibling_up, &g);
  for (;;) vanity_wait(0);
}

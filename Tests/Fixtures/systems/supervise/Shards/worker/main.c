/* Tells the boss which generation this is, then traps: every start faults
 * (policy propagate: held, and the boss is woken). */
#include <vanity/vanity.h>
int main(void) {
  uint64_t g = (uint64_t)vanity_generation(VANITY_SHARD_ID);
  vanity_printf("worker: generation %lu, trapping\n", g);
  vanity_send(&vanity_channel_starts, &g);
  __builtin_trap();
  return 0;
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Each core says who it is, then waits for good. */
int main(void) {
  vanity_printf("pair: core index %u, generation %ld\n", vanity_core_index(), (long)vanity_generation(VANITY_SHARD_ID));
  for (;;) vanity_wait(0);
}

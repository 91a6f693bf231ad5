#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Stops the system half a second after pair reaches generation 4. */
#define PAIR 0u /* the manifest's first shard */

int main(void) {
  while (vanity_generation(PAIR) < 4) vanity_wait(50000000ull);
  vanity_wait(500000000ull);
  vanity_printf("ender: pair at generation %ld\n", (long)vanity_generation(PAIR));
  vanity_shutdown(0);
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Waits for the spinner's second generation, then 3 s more (longer than its
 * 2 s watchdog), and reports its generation then. */
#define SPINNER 0u /* the manifest's first shard */

int main(void) {
  while (vanity_generation(SPINNER) < 2) vanity_wait(50000000ull);
  for (int i = 0; i < 60; i++) vanity_wait(50000000ull);
  vanity_printf("judge: spinner at generation %ld after 3 s more\n", (long)vanity_generation(SPINNER));
  vanity_shutdown(0);
}

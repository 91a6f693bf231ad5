#include <vanity_shard.h>
#include <vanity/vanity.h>
/* ManyCoresTests' limit test: every shard says it is up; the one on the
 * last core (LAST, a `defines` entry) gives the others 2 s and stops the
 * system. */
int main(void) {
  vanity_printf("up on core %u\n", VANITY_SHARD_CORE);
#ifdef LAST
  vanity_wait(2000000000ull);
  vanity_shutdown(0);
#endif
  for (;;) vanity_wait(0);
}

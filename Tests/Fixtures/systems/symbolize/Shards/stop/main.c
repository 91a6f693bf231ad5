#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Waits; once restarted (the test's `vanity-build restart`), stops the
 * system, a moment later: the restart's reply goes out first. */
int main(void) {
  if (vanity_generation(VANITY_SHARD_ID) > 1) {
    vanity_wait(2000000000ull); /* generous: a busy host may delay the reply */
    vanity_shutdown(0);
  }
  for (;;) vanity_wait(0);
}

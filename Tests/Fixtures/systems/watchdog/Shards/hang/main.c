#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  vanity_printf("hang: generation %ld, spinning without a heartbeat\n", vanity_generation(VANITY_SHARD_ID));
  for (volatile int spin = 1; spin;) {
  }
  return 0;
}

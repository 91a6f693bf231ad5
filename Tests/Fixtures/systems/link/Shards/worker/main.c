#include <vanity/vanity.h>
int main(void) {
  vanity_printf("worker: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
  for (;;) vanity_wait(0);
}

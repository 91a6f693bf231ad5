#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Says which run this is, then shows no sign of life. */
int main(void) {
  vanity_printf("hang: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
  for (;;) __asm__ volatile("" ::: "memory");
}

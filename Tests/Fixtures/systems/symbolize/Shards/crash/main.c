#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Writes through a null pointer, in first_poke; the test's reload calls
 * second_poke instead. Not static, so that neither is inlined or dropped;
 * each on one line, so its fault's line does not depend on whether the
 * compiler gives a function's first instruction its opening line. */
__attribute__((noinline)) void first_poke(volatile uint64_t *p) { *p = 1; }

__attribute__((noinline)) void second_poke(volatile uint64_t *p) { p[1] = 2; }

int main(void) {
  vanity_printf("crash: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
  first_poke((volatile uint64_t *)0);
  vanity_printf("crash: STILL RUNNING\n");
  return 0;
}

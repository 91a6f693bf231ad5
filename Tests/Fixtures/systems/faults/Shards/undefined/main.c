#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  vanity_printf("undefined: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
  __asm__ volatile(".inst 0x00000000"); /* udf #0 */
  vanity_printf("undefined: STILL RUNNING\n");
  return 0;
}

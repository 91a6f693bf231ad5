#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  vanity_printf("undefined: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
#if defined(__aarch64__)
  __asm__ volatile(".inst 0x00000000"); /* udf #0 */
#elif defined(__x86_64__)
  __asm__ volatile(".byte 0x0f, 0xb9, 0xc0"); /* ud1 */
#elif defined(__riscv)
  __asm__ volatile(".4byte 0xffffffff"); /* a reserved encoding (0 would be c.unimp, a trap) */
#endif
  vanity_printf("undefined: STILL RUNNING\n");
  return 0;
}

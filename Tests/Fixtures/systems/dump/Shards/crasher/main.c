#include <vanity_shard.h>
#include <vanity/vanity.h>

/* Faults here: a write into the shard's own text (read-only everywhere;
 * not mapped at all in the simulator, whose shard code is a host file). */
__attribute__((noinline)) void crash_here(void) { *(volatile uint32_t *)(uintptr_t)VANITY_SHARD_TEXT_BASE = 0; }

int main(void) {
  vanity_printf("crasher: faulting\n");
  crash_here();
  vanity_printf("crasher: STILL RUNNING\n");
  return 0;
}

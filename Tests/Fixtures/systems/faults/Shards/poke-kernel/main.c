#include <vanity_shard.h>
#include <vanity/vanity.h>
/* The kernel's data region: its text (256 KiB) and rodata (64 KiB) above the
 * platform's kernel base (docs/architecture.md, "Layout order"). */
#define KERNEL_DATA (VANITY_KERNEL_BASE + 0x50000ull)
int main(void) {
  vanity_printf("poke-kernel: writing to 0x%lx\n", (uint64_t)KERNEL_DATA);
  *(volatile uint64_t *)(uintptr_t)KERNEL_DATA = 0;
  vanity_printf("poke-kernel: STILL RUNNING\n");
  return 0;
}

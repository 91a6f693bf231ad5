#include <vanity_shard.h>
#include <vanity/vanity.h>
#define KERNEL_DATA 0x40250000ull /* aarch64-virt: kernel text is at 0x40200000, data 320 KiB above */
int main(void) {
  *(volatile uint64_t *)(uintptr_t)KERNEL_DATA = 0;
  vanity_printf("poke-kernel: STILL RUNNING\n");
  return 0;
}

/* Demo producer (C17): writes numbered messages into "samples".
 * Placeholder until the kernel issue provides the user library. */
#include <vanity_shard.h>

__attribute__((section(".text.start"))) void _start(void) {
  for (;;) {
  }
}

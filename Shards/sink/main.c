/* Demo sink (C17): checks the sequence arriving on "results".
 * Placeholder until the kernel issue provides the user library. */
#include <vanity_shard.h>

__attribute__((section(".text.start"))) void _start(void) {
  for (;;) {
  }
}

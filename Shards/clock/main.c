/* Demo clock (C17): reads the wall-clock time through its RTC device grant.
 * Placeholder until the kernel issue provides the user library. */
#include <vanity_shard.h>

__attribute__((section(".text.start"))) void _start(void) {
  for (;;) {
  }
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
/* 5,000 one-character lines as fast as the kernel takes them: far above the
 * rate, and short enough that what the rate lets through (200 at once, then
 * 200 a second) stays well inside the 16 KiB history on a loaded host. */
int main(void) {
  for (int i = 0; i < 5000; i++) vanity_log("x\n", 2);
  vanity_wait(50000000); /* its rate refills: the last line gets through */
  vanity_printf("f: done\n");
  uint64_t one = 1;
  vanity_send(&vanity_channel_done, &one);
  for (;;) vanity_wait(0);
}

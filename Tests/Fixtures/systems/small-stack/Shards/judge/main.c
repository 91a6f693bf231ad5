/* deep's supervisor: waits for deep to start, then for the kernel to tell it
 * that deep faulted (it needs microseconds; a busy host may hold its core
 * back, so the bound is generous), then ends the run. */
#include <vanity_shard.h>
#include <vanity/vanity.h>

int main(void) {
  uint64_t go;
  vanity_recv(&vanity_channel_started, &go);
  int64_t start = vanity_time_ns();
  while (!(vanity_wait(1000000000ull) & VANITY_WAKE_SUPERVISED)) {
    if (vanity_time_ns() - start > 60000000000ll) {
      vanity_printf("judge: deep never faulted\n");
      vanity_shutdown(1);
    }
  }
  vanity_printf("judge: done\n");
  vanity_shutdown(0);
  return 1;
}

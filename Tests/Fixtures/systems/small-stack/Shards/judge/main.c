/* Waits for deep to start, gives it 2 s to overflow (it needs microseconds;
 * a busy host may hold its core back), then ends the run. */
#include <vanity_shard.h>
#include <vanity/vanity.h>

int main(void) {
  uint64_t go;
  vanity_recv(&vanity_channel_started, &go);
  int64_t start = vanity_time_ns();
  while (vanity_time_ns() - start < 2000000000ll) vanity_wait(10000000ull);
  vanity_printf("judge: done\n");
  vanity_shutdown(0);
  return 1;
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Faults (policy abort) once the boss has reported its child's fault, so the
 * report is on the console before the system stops (at most 30 s). */
int main(void) {
  int64_t start = vanity_time_ns();
  uint64_t m;
  while (!vanity_try_recv(&vanity_channel_reported, &m) && vanity_time_ns() - start < 30000000000ll) vanity_wait(1000000);
  vanity_printf("crash: reading address 0\n");
  return (int)*(volatile uint32_t *)0;
}

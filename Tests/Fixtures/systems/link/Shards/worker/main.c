#include <vanity/vanity.h>
int main(void) {
  vanity_time_ns(); /* denied (no cap "time"), before the line the test waits for: ps shows it in the worker's denied column */
  vanity_printf("worker: generation %ld\n", vanity_generation(VANITY_SHARD_ID));
  for (;;) vanity_wait(0);
}

#include <vanity/vanity.h>
/* Waits until every other shard has said it is up (the test reads the
 * console), then stops the system. */
int main(void) {
  vanity_printf("up\n");
  int64_t start = vanity_time_ns();
  while (vanity_time_ns() - start < 300000000) vanity_wait(1000000);
  vanity_shutdown(0);
  return 0;
}

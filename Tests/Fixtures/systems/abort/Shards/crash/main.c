#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  int64_t start = vanity_time_ns();
  while (vanity_time_ns() - start < 50000000) {
  }
  vanity_printf("crash: reading address 0\n");
  return (int)*(volatile uint32_t *)0;
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  __asm__ volatile("brk #7");
  return 0;
}

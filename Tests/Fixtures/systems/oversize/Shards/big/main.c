#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  __asm__ volatile("b 1f\n\t.fill 2048, 4, 0\n1:"); /* 8 KiB of code */
  return 0;
}

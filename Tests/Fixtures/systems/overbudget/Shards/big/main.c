#include <vanity_shard.h>
#include <vanity/vanity.h>
/* 8 KiB of initialised data, over the 4 KiB max-sizes.data budget. */
volatile unsigned char blob[8192] = {1};
int main(void) {
  __asm__ volatile("b 1f\n\t.fill 2048, 4, 0\n1:"); /* 8 KiB of code, over max-sizes.text */
  return blob[0] - 1;
}

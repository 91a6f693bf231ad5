#include <vanity_shard.h>
#include <vanity/vanity.h>
static uint64_t deeper(volatile uint64_t *prev, uint64_t n) {
  volatile uint64_t frame[64];
  frame[0] = prev ? prev[0] + n : n;
  if (n > (1ull << 40)) return frame[0]; /* never: the stack ends long before */
  return deeper(frame, n + 1) + frame[0];
}
int main(void) {
  vanity_printf("overflow: %lu\n", deeper(0, 1));
  return 0;
}

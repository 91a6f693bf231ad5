/* 64 frames of over 1 KiB each: 64 KiB of stack, four times what this shard
 * has, and nothing next to the 8 MiB of a host process's own stack. Where it
 * still ran on the host's stack, the simulator printed "survived". */
#include <vanity_shard.h>
#include <vanity/vanity.h>

static uint64_t deeper(volatile uint64_t *prev, uint32_t n) {
  volatile uint64_t frame[128];
  frame[0] = prev ? prev[0] + n : n;
  frame[127] = n;
  if (n == 64) return frame[0];
  return deeper(frame, n + 1) + frame[127];
}

int main(void) {
  vanity_printf("deep: stack 0x%lx-0x%lx\n", (unsigned long)VANITY_SHARD_STACK_BASE,
                (unsigned long)(VANITY_SHARD_STACK_BASE + VANITY_SHARD_STACK_SIZE));
  uint64_t go = 1;
  vanity_send(&vanity_channel_started, &go);
  vanity_printf("deep: survived, %lu\n", (unsigned long)deeper(0, 1));
  return 0;
}

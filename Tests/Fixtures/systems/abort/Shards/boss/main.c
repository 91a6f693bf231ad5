#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  int64_t bits = vanity_wait(0);
  vanity_printf("boss: woken with bits 0x%lx; child generation %ld\n", bits, vanity_generation(4));
  uint64_t done = 1;
  vanity_send(&vanity_channel_reported, &done); /* now crash may stop the system */
  return 0;
}

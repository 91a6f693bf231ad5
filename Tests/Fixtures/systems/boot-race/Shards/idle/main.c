#include <vanity/vanity.h>
/* UP: this shard's channel to `stop` (a define per shard in system.toml). */
int main(void) {
  vanity_printf("up\n");
  uint64_t one = 1;
  vanity_send(&UP, &one);
  for (;;) vanity_wait(0);
}

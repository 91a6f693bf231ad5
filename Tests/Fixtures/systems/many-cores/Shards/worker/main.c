#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Reports the core it was given (the manifest's) and waits for good. */
int main(void) {
  uint64_t core = VANITY_SHARD_CORE;
  vanity_send(&REPORT, &core);
  for (;;) vanity_wait(0);
}

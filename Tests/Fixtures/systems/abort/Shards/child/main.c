#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  __builtin_trap();
  return 0;
}

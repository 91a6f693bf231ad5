#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  for (;;) vanity_wait(0);
}

#include <vanity_shard.h>
#include <vanity/vanity.h>
int main(void) {
  return no_such_variable; /* the error the build must report against this file */
}

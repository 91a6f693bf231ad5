#include <vanity/vanity.h>
/* Sleeps; the fuzzer's notifications wake it, harmlessly. */
int main(void) {
  for (;;) vanity_wait(0);
}

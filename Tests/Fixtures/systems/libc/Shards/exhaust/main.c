#include <stdio.h>
#include <stdlib.h>
#include <vanity/vanity.h>

/* No heap (heap-size 0): the first malloc fails (and the log says why). */
int main(void) {
  void *volatile p = malloc(16); /* volatile: the compiler may not assume it succeeded */
  printf("exhaust: malloc(16) without a heap -> %s\n", p ? "memory" : "NULL");
  uint64_t one = 1;
  vanity_send(&vanity_channel_exhaust_done, &one);
  for (;;) vanity_wait(0);
}

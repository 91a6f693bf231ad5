#include <vanity/vanity.h>
int main(void) {
  vanity_printf("up\n");
  for (;;) vanity_wait(0);
}

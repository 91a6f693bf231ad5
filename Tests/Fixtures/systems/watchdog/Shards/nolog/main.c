#include <vanity/vanity.h>
/* No capabilities at all: `log` must be denied. It cannot print, so it
 * answers through its exit status: 0 when denied as documented. */
int main(void) {
  int64_t r = vanity_log("should not appear\n", 18);
  return r == VANITY_E_DENIED ? 0 : 1;
}

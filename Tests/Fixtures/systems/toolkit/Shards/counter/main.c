/* Sums 1..10 from COUNTER_BASE (its defines), checksums the value with the
 * shared library and sends both to the Swift shard. */
#include <vanity/vanity.h>

#include <checksum/checksum.h> /* a library's include folder */
#include <counter.h>           /* its own include folder */

_Static_assert((char)-1 > 0, "the shard's c-flags (-funsigned-char) did not reach this compile");
#ifdef CHECKSUM_SEED
#error "a library's defines are its own"
#endif

int main(void) {
  struct value_msg m = {.value = COUNTER_BASE + series_sum(10)};
  m.check = checksum(&m.value, sizeof m.value);
  vanity_printf("counter: %s %u (%u + %u), checksum %x\n", counter_label(), m.value, COUNTER_BASE, series_sum(10), m.check);
  vanity_send(&vanity_channel_value, &m);
  for (;;) vanity_wait(0);
}

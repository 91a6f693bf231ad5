/* vanity_printf: formats one log record (<vanity/format.h>, the kernel's own
 * formatter) and sends it with the log system call. No C library needed. */
#include <stdarg.h>
#include <vanity/format.h>
#include <vanity/vanity.h>

struct out {
  char buf[256];
  size_t n;
};

static void put(void *ctx, char c) {
  struct out *o = ctx;
  if (o->n < sizeof o->buf) o->buf[o->n++] = c;
}

int vanity_printf(const char *fmt, ...) {
  struct out o = {.n = 0};
  va_list ap;
  va_start(ap, fmt);
  vanity_vformat(put, &o, fmt, ap);
  va_end(ap);
  return (int)vanity_log(o.buf, o.n);
}

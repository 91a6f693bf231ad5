/* vanity_printf: formats one log record and sends it with the log system
 * call. No C library needed. */
#include <stdarg.h>
#include <vanity/vanity.h>

struct out {
  char buf[256];
  size_t n;
};

static void put(struct out *o, char c) {
  if (o->n < sizeof o->buf) o->buf[o->n++] = c;
}

static void put_unsigned(struct out *o, uint64_t v, unsigned base, int width) {
  char tmp[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n < width) tmp[n++] = '0';
  while (n) put(o, tmp[--n]);
}

int vanity_printf(const char *fmt, ...) {
  struct out o = {.n = 0};
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    p++;
    int width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    int longs = 0;
    while (*p == 'l') {
      longs++;
      p++;
    }
    switch (*p) {
    case 's':
      for (const char *s = va_arg(ap, const char *); s && *s; s++) put(&o, *s);
      break;
    case 'c': put(&o, (char)va_arg(ap, int)); break;
    case 'd': {
      int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
      if (v < 0) {
        put(&o, '-');
        v = -v;
      }
      put_unsigned(&o, (uint64_t)v, 10, width);
      break;
    }
    case 'u': put_unsigned(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width); break;
    case 'x': put_unsigned(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width); break;
    case '%': put(&o, '%'); break;
    case '\0': p--; break;
    default: put(&o, '?'); break;
    }
  }
  va_end(ap);
  return (int)vanity_log(o.buf, o.n);
}

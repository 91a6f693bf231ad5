/* printf-style formatting, shared by the kernel log (kprintf) and the
 * shards' vanity_printf: %s %c %d %u %x and %%, an optional zero-padded
 * width, and l / ll for 64-bit arguments. Output goes byte by byte to `put`. */
#ifndef VANITY_FORMAT_H
#define VANITY_FORMAT_H

#include <stdarg.h>
#include <stdint.h>

typedef void (*vanity_put_fn)(void *ctx, char c);

static inline void vanity__format_unsigned(vanity_put_fn put, void *ctx, uint64_t v, unsigned base, int width) {
  char digits[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n < width && n < (int)sizeof digits) digits[n++] = '0';
  while (n) put(ctx, digits[--n]);
}

static inline void vanity_vformat(vanity_put_fn put, void *ctx, const char *fmt, va_list ap) {
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(ctx, *p);
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
      for (const char *s = va_arg(ap, const char *); s && *s; s++) put(ctx, *s);
      break;
    case 'c': put(ctx, (char)va_arg(ap, int)); break;
    case 'd': {
      int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
      if (v < 0) {
        put(ctx, '-');
        v = -v;
      }
      vanity__format_unsigned(put, ctx, (uint64_t)v, 10, width);
      break;
    }
    case 'u': vanity__format_unsigned(put, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width); break;
    case 'x': vanity__format_unsigned(put, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width); break;
    case '%': put(ctx, '%'); break;
    case '\0': return; /* a trailing '%' */
    default: put(ctx, '?'); break;
    }
  }
}

#endif

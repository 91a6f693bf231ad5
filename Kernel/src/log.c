/* The kernel log: a minimal printf to the platform console. Lines from
 * different cores are kept whole by a spin lock. */
#include "internal.h"

static volatile uint32_t log_lock;

void klog_lock(void) {
  while (__atomic_exchange_n(&log_lock, 1u, __ATOMIC_ACQUIRE)) {
  }
}

void klog_unlock(void) { __atomic_store_n(&log_lock, 0u, __ATOMIC_RELEASE); }

static void put_unsigned(uint64_t v, unsigned base, int width) {
  char buf[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n < width) buf[n++] = '0';
  while (n) platform_console_putc(buf[--n]);
}

void kvprintf(const char *fmt, va_list ap) {
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      platform_console_putc(*p);
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
    case 's': {
      const char *s = va_arg(ap, const char *);
      for (; s && *s; s++) platform_console_putc(*s);
      break;
    }
    case 'c': platform_console_putc((char)va_arg(ap, int)); break;
    case 'd': {
      int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
      if (v < 0) {
        platform_console_putc('-');
        v = -v;
      }
      put_unsigned((uint64_t)v, 10, width);
      break;
    }
    case 'u': put_unsigned(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width); break;
    case 'x': put_unsigned(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width); break;
    case '%': platform_console_putc('%'); break;
    case '\0': return;
    default: platform_console_putc('?'); break;
    }
  }
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  klog_lock();
  kvprintf(fmt, ap);
  klog_unlock();
  va_end(ap);
}

/* A shard's log text as whole lines, each prefixed with "[name] ". */
void klog_shard(const char *name, const char *text, size_t len) {
  klog_lock();
  int line_start = 1;
  for (size_t i = 0; i < len; i++) {
    if (line_start) {
      platform_console_putc('[');
      for (const char *n = name; *n; n++) platform_console_putc(*n);
      platform_console_putc(']');
      platform_console_putc(' ');
      line_start = 0;
    }
    char c = text[i];
    platform_console_putc(c == '\n' || (c >= 32 && c < 127) ? c : '?');
    if (c == '\n') line_start = 1;
  }
  if (!line_start) platform_console_putc('\n');
  klog_unlock();
}

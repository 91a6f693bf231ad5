/* The kernel log: a minimal printf to the platform console. Lines from
 * different cores are kept whole by a spin lock. */
#include <vanity/format.h>

#include "internal.h"

static volatile uint32_t log_lock;

void klog_lock(void) {
  while (__atomic_exchange_n(&log_lock, 1u, __ATOMIC_ACQUIRE)) {
  }
}

void klog_unlock(void) { __atomic_store_n(&log_lock, 0u, __ATOMIC_RELEASE); }

static void console_put(void *ctx, char c) {
  (void)ctx;
  platform_console_putc(c);
}

void kvprintf(const char *fmt, va_list ap) { vanity_vformat(console_put, 0, fmt, ap); }

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

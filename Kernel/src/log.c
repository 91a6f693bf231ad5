/* The kernel log: a minimal printf to the platform console. Lines from
 * different cores are kept whole by a spin lock. The last LOG_RECENT bytes
 * are also kept for the debug link's `logs` request. */
#include <vanity/format.h>

#include "internal.h"

static volatile uint32_t log_lock;

void klog_lock(void) {
  while (__atomic_exchange_n(&log_lock, 1u, __ATOMIC_ACQUIRE)) {
  }
}

void klog_unlock(void) { __atomic_store_n(&log_lock, 0u, __ATOMIC_RELEASE); }

#define LOG_RECENT 4096u /* a power of two */
static char recent[LOG_RECENT];
static uint32_t recent_total; /* bytes logged since boot (mod 2^32) */

/* Under the lock. */
static void log_putc(char c) {
  platform_console_putc(c);
  recent[recent_total++ & (LOG_RECENT - 1)] = c;
}

static void console_put(void *ctx, char c) {
  (void)ctx;
  log_putc(c);
}

uint32_t klog_recent(uint32_t since, uint8_t *out, uint32_t max, uint32_t *first, uint32_t *total) {
  klog_lock();
  uint32_t end = recent_total, oldest = end > LOG_RECENT ? end - LOG_RECENT : 0;
  uint32_t from = since < oldest || since > end ? oldest : since;
  uint32_t n = end - from < max ? end - from : max;
  for (uint32_t i = 0; i < n; i++) out[i] = (uint8_t)recent[(from + i) & (LOG_RECENT - 1)];
  klog_unlock();
  *first = from;
  *total = end;
  return n;
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
      log_putc('[');
      for (const char *n = name; *n; n++) log_putc(*n);
      log_putc(']');
      log_putc(' ');
      line_start = 0;
    }
    char c = text[i];
    log_putc(c == '\n' || (c >= 32 && c < 127) ? c : '?');
    if (c == '\n') line_start = 1;
  }
  if (!line_start) log_putc('\n');
  klog_unlock();
}

/* The kernel log: a minimal printf to the platform console. Lines from
 * different cores are kept whole by a spin lock. The last LOG_RECENT bytes
 * are also kept for the debug link's `logs` request. A shard's lines pass a
 * per-shard rate limit first (LOG_BURST lines, then LOG_RATE a second): a
 * flood is dropped and counted before it takes the lock, so one shard can
 * neither hold up the others' logging nor push the kernel's own lines out of
 * the history faster than that. */
#include <vanity/format.h>

#include "internal.h"

/* The console lock, holder's core + 1 (0: free). The holder's own panic (a
 * kernel exception while it prints) takes it again and goes on printing
 * instead of waiting on itself; a holder that never lets go (a core stopped
 * mid-line) is reported and passed over after LOG_LOCK_PATIENCE_NS, where
 * before every core that logged after it stopped there too, silently. */
#define LOG_LOCK_PATIENCE_NS 2000000000ull
static volatile uint32_t log_owner;
static volatile uint32_t log_takes; /* counts every take: a holder that lets go and takes again is not stuck */
static uint32_t log_depth;          /* the holder's nested takes */

void klog_lock(void) {
  uint32_t me = platform_core_id() + 1u;
  if (__atomic_load_n(&log_owner, __ATOMIC_RELAXED) == me) {
    log_depth++;
    return;
  }
  uint32_t held = 0, takes = 0, stolen = 0;
  uint64_t since = 0;
  for (uint32_t spins = 1;; spins++) {
    uint32_t free = 0;
    if (__atomic_compare_exchange_n(&log_owner, &free, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) break;
    if (spins % 65536u) continue; /* the clock only now and then: a line takes microseconds */
    uint64_t now = platform_time_ns();
    uint32_t t = __atomic_load_n(&log_takes, __ATOMIC_RELAXED);
    if (!since || free != held || t != takes) { /* the first look, or a take since */
      since = now;
      held = free;
      takes = t;
    } else if (now - since > LOG_LOCK_PATIENCE_NS &&
               __atomic_compare_exchange_n(&log_owner, &free, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      stolen = held;
      break;
    }
  }
  __atomic_fetch_add(&log_takes, 1u, __ATOMIC_RELAXED);
  log_depth = 0;
  if (stolen) /* ours now: kprintf takes it once more */
    kprintf("\nkernel: core %u held the console's lock for over %u s; going on without it\n", stolen - 1u,
            (uint32_t)(LOG_LOCK_PATIENCE_NS / 1000000000ull));
}

void klog_unlock(void) {
  if (log_depth) {
    log_depth--;
    return;
  }
  __atomic_store_n(&log_owner, 0u, __ATOMIC_RELEASE);
}

#define LOG_RECENT 16384u /* a power of two */
static char recent[LOG_RECENT];
static uint32_t recent_total; /* bytes logged since boot (mod 2^32) */
static uint32_t dropped_total; /* shard lines dropped by the rate limit since boot */

/* Under the lock. */
static void log_putc(char c) {
  platform_console_putc(c);
  recent[recent_total++ & (LOG_RECENT - 1)] = c;
}

static void console_put(void *ctx, char c) {
  (void)ctx;
  log_putc(c);
}

uint32_t klog_recent(uint32_t since, uint8_t *out, uint32_t max, uint32_t *first, uint32_t *total, uint32_t *dropped) {
  klog_lock();
  uint32_t end = recent_total, oldest = end > LOG_RECENT ? end - LOG_RECENT : 0;
  uint32_t from = since < oldest || since > end ? oldest : since;
  uint32_t n = end - from < max ? end - from : max;
  for (uint32_t i = 0; i < n; i++) out[i] = (uint8_t)recent[(from + i) & (LOG_RECENT - 1)];
  klog_unlock();
  *first = from;
  *total = end;
  *dropped = __atomic_load_n(&dropped_total, __ATOMIC_RELAXED);
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

/* Gives back the lines earned since the last refill; returns the lines the
 * shard may log now. Only the shard's own core touches its bucket. */
static uint32_t refill(struct log_bucket *b, uint64_t now) {
  const uint64_t per_line = 1000000000ull / LOG_RATE;
  uint64_t earned = now > b->refilled_ns ? (now - b->refilled_ns) / per_line : 0;
  if (earned >= b->spent) {
    b->spent = 0;
    b->refilled_ns = now;
  } else {
    b->spent -= (uint32_t)earned;
    b->refilled_ns += earned * per_line;
  }
  return LOG_BURST - b->spent;
}

/* A shard's log text as whole lines, each prefixed with "[name] ", as far as
 * its rate allows; the rest is dropped, counted, and said once the shard may
 * log again. */
void klog_shard(const char *name, struct log_bucket *bucket, const char *text, size_t len) {
  uint32_t lines = 0;
  for (size_t i = 0; i < len; i++) lines += text[i] == '\n' || i + 1 == len;
  uint32_t allowed = refill(bucket, platform_time_ns());
  if (allowed == 0) {
    bucket->dropped += lines;
    __atomic_fetch_add(&dropped_total, lines, __ATOMIC_RELAXED);
    return;
  }
  if (bucket->dropped) {
    bucket->spent++;
    allowed--;
    kprintf("kernel: %s logged faster than %u lines/s: %u line(s) dropped\n", name, LOG_RATE, bucket->dropped);
    bucket->dropped = 0;
  }
  klog_lock();
  int line_start = 1;
  size_t i = 0;
  for (; i < len && allowed; i++) {
    if (line_start) {
      log_putc('[');
      for (const char *n = name; *n; n++) log_putc(*n);
      log_putc(']');
      log_putc(' ');
      line_start = 0;
    }
    char c = text[i];
    log_putc(c == '\n' || (c >= 32 && c < 127) ? c : '?');
    if (c == '\n') {
      line_start = 1;
      allowed--;
      bucket->spent++;
    }
  }
  if (!line_start) {
    log_putc('\n');
    bucket->spent++;
  }
  klog_unlock();
  uint32_t rest = 0;
  for (; i < len; i++) rest += text[i] == '\n' || i + 1 == len;
  if (rest) {
    bucket->dropped += rest;
    __atomic_fetch_add(&dropped_total, rest, __ATOMIC_RELAXED);
  }
}

/* What the shards' C library (picolibc, built by Scripts/libc.sh) needs from
 * a shard, on every platform and in the simulator alike:
 *
 *   stdout, stderr, stdin  one FILE: output goes to the kernel log a line at
 *                          a time (a printf of one line is one system call);
 *                          input is always at its end
 *   sbrk                   malloc/free/realloc/calloc (picolibc's
 *                          nano-malloc, which frees) over the shard's heap
 *                          region (`heap-size`); also posix_memalign, which
 *                          the Embedded Swift runtime allocates with
 *   _exit                  exit(), abort() and failed asserts end the shard
 *   getentropy             arc4random_buf (Swift's hashing seed)
 *   gettimeofday, times    time(), clock(): time since the system started
 *                          (the `time` capability)
 *
 * There are no files: open/read/write/lseek are not provided, so fopen and
 * friends fail to link. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <vanity/vanity.h>

/* ---------------------------------------------------------------- stdio */

static char line[256];
static size_t line_used;

static int console_flush(FILE *f) {
  (void)f;
  if (line_used) {
    vanity_log(line, line_used);
    line_used = 0;
  }
  return 0;
}

static int console_put(char c, FILE *f) {
  line[line_used++] = c;
  if (c == '\n' || line_used == sizeof line) console_flush(f);
  return (unsigned char)c;
}

static int console_get(FILE *f) {
  (void)f;
  return EOF;
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, console_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

/* ---------------------------------------------------------------- heap */

/* The heap region grows upward from its base. When it is used up, malloc
 * returns NULL (errno ENOMEM) and the log says so once, naming the region's
 * size; a Swift allocation that fails traps, and the kernel names the shard. */
void *sbrk(ptrdiff_t incr) {
  static uintptr_t brk = VANITY_SHARD_HEAP_BASE;
  static int said;
  const uintptr_t start = VANITY_SHARD_HEAP_BASE, end = VANITY_SHARD_HEAP_BASE + VANITY_SHARD_HEAP_SIZE;
  if (incr < 0 ? brk - start < (uintptr_t)-incr : end - brk < (uintptr_t)incr) {
    if (!said && incr > 0) {
      said = 1;
      if (VANITY_SHARD_HEAP_SIZE == 0)
        vanity_printf("heap: no heap (heap-size is 0 in system.toml): an allocation of %lu bytes failed\n",
                      (unsigned long)incr);
      else
        vanity_printf("heap: exhausted: %lu of %lu bytes in use, %lu more wanted (heap-size in system.toml)\n",
                      (unsigned long)(brk - start), (unsigned long)VANITY_SHARD_HEAP_SIZE, (unsigned long)incr);
    }
    errno = ENOMEM;
    return (void *)-1;
  }
  uintptr_t old = brk;
  brk += (uintptr_t)incr;
  return (void *)old;
}

/* ---------------------------------------------------------------- process */

void _exit(int status) {
  console_flush(stdout);
  vanity_exit((uint32_t)status);
}

/* ---------------------------------------------------------------- entropy, time */

/* Bytes for arc4random's seed. Vanity has no entropy source yet: this is
 * splitmix64 over a counter and the caller's buffer address, NOT
 * cryptographic (Swift only wants a hash seed), and makes no system call. */
int getentropy(void *buf, size_t n) {
  static uint64_t state = 0x853c49e6748fea9bull;
  if (n > 256) {
    errno = EIO;
    return -1;
  }
  state += (uint64_t)(uintptr_t)buf;
  for (size_t i = 0; i < n; i++) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    ((uint8_t *)buf)[i] = (uint8_t)(z ^ (z >> 31));
  }
  return 0;
}

/* Time since the system started (Vanity has no wall clock for shards). */
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  int64_t ns = vanity_time_ns();
  if (tv) {
    tv->tv_sec = (time_t)(ns / 1000000000);
    tv->tv_usec = (suseconds_t)(ns % 1000000000 / 1000);
  }
  return 0;
}

clock_t times(struct tms *buf) {
  clock_t t = (clock_t)(vanity_time_ns() / (1000000000 / CLOCKS_PER_SEC));
  if (buf) *buf = (struct tms){.tms_utime = t};
  return t;
}

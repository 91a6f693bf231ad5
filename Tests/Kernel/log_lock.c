/* The kernel's console lock (Kernel/src/log.c), linked against a hosted
 * stand-in for the platform: threads are cores, the console is a buffer.
 *   log_lock lines      every line of 4 cores printing at once comes out whole
 *   log_lock nested     a core that holds the lock takes it again (its own
 *                       panic while it prints) and goes on
 *   log_lock stuck      a core that stops holding the lock is reported and
 *                       passed over; the others' lines still come out
 * Prints the console, then "log_lock: ok" or what went wrong (status 1). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static char console[1 << 20];
static size_t console_len;
static __thread uint32_t core;

void platform_console_putc(char c) {
  if (console_len < sizeof console - 1) console[console_len++] = c;
}

uint64_t platform_time_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

uint32_t platform_core_id(void) { return core; }

static int fail(const char *why) {
  fwrite(console, 1, console_len, stdout);
  printf("log_lock: %s\n", why);
  return 1;
}

#define LINES 2000
static void *printer(void *arg) {
  core = (uint32_t)(uintptr_t)arg;
  for (int i = 0; i < LINES; i++) kprintf("core %u line %d of a line long enough to be cut if two cores wrote at once\n", core, i);
  return 0;
}

static int lines(void) {
  pthread_t t[4];
  for (uintptr_t c = 0; c < 4; c++) pthread_create(&t[c], 0, printer, (void *)(c + 1));
  for (int c = 0; c < 4; c++) pthread_join(t[c], 0);
  int next[5] = {0};
  static char copy[sizeof console];
  memcpy(copy, console, console_len);
  for (char *line = strtok(copy, "\n"); line; line = strtok(0, "\n")) {
    unsigned c;
    int i, end = 0;
    if (sscanf(line, "core %u line %d of a line long enough to be cut if two cores wrote at once%n", &c, &i, &end) != 2 || c < 1 ||
        c > 4 || line[end] || i != next[c]++)
      return fail("a line came out cut, mixed or out of order");
  }
  for (int c = 1; c <= 4; c++)
    if (next[c] != LINES) return fail("lines are missing");
  return 0;
}

static int nested(void) {
  core = 1;
  klog_lock();
  kprintf("PANIC: while printing\n"); /* the same core takes the lock again */
  klog_unlock();
  kprintf("and after\n");
  core = 2; /* the lock is free again for another core */
  kprintf("another core\n");
  return strcmp(console, "PANIC: while printing\nand after\nanother core\n") ? fail("the nested take did not print as expected") : 0;
}

static void *stops_holding(void *arg) {
  (void)arg;
  core = 3;
  klog_lock();
  platform_console_putc('h');
  platform_console_putc('a'); /* and the core stops here, mid-line */
  return 0;
}

static int stuck(void) {
  pthread_t t;
  pthread_create(&t, 0, stops_holding, 0);
  pthread_join(t, 0);
  core = 1;
  uint64_t start = platform_time_ns();
  kprintf("core 1 goes on\n");
  uint64_t waited = platform_time_ns() - start;
  kprintf("and takes it again at once\n");
  if (strcmp(console, "ha\nkernel: core 3 held the console's lock for over 2 s; going on without it\ncore 1 goes on\nand takes it again at once\n"))
    return fail("the stuck holder was not reported and passed over");
  if (waited < 2000000000ull) return fail("the lock was taken from its holder before 2 s");
  return 0;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int r = !strcmp(what, "lines") ? lines() : !strcmp(what, "nested") ? nested() : !strcmp(what, "stuck") ? stuck() : fail("usage: log_lock lines|nested|stuck");
  if (r == 0) {
    if (strcmp(what, "lines")) fwrite(console, 1, console_len, stdout);
    printf("log_lock: ok\n");
  }
  return r;
}

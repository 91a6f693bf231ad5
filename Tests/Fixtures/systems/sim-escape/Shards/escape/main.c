#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Raw host system calls (x86_64 Linux numbers), so no C library stands
 * between the attempt and the host kernel: every one must fail. */
static long host6(long nr, long a, long b, long c, long d, long e, long f) {
  long r;
  register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return r;
}
static long host(long nr, long a, long b, long c, long d) { return host6(nr, a, b, c, d, 0, 0); }

enum { READ = 0, CLOSE = 3, MPROTECT = 10, SOCKET = 41, FORK = 57, EXECVE = 59, KILL = 62, GETPPID = 110, PTRACE = 101,
       TGKILL = 234, OPENAT = 257, VM_READV = 310 };
#define AT_FDCWD (-100)

static int ways_out;

static void attempt(const char *what, long r) {
  vanity_printf("escape: %s -> %ld\n", what, r);
  if (r >= 0) ways_out++;
}

static void path(char *out, const char *a, long n, const char *b) {
  char digits[24];
  int k = 0;
  do digits[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
  while (*a) *out++ = *a++;
  while (k) *out++ = digits[--k];
  while (*b) *out++ = *b++;
  *out = 0;
}

int main(void) {
  long kernel = host(GETPPID, 0, 0, 0, 0);
  char p[64];
  path(p, "/proc/", kernel, "/exe");
  attempt("open the kernel's executable", host(OPENAT, AT_FDCWD, (long)p, 0, 0));
  long opened = 0;
  for (long fd = 0; fd < 64; fd++) {
    path(p, "/proc/", kernel, "/fd/");
    char *e = p;
    while (*e) e++;
    path(e, "", fd, "");
    long r = host(OPENAT, AT_FDCWD, (long)p, 2 /* O_RDWR */, 0);
    if (r >= 0) {
      opened++;
      host(CLOSE, r, 0, 0, 0);
    }
  }
  attempt("open a kernel descriptor", opened ? opened - 1 : -1);
  attempt("open /proc/self/environ", host(OPENAT, AT_FDCWD, (long)"/proc/self/environ", 0, 0));
  uint64_t word = 0;
  struct { void *base; unsigned long len; } local = {&word, 8}, there = {(void *)0x10050000ul, 8}; /* kernel data */
  long vm = host6(VM_READV, kernel, (long)&local, 1, (long)&there, 1, 0);
  attempt("read the kernel's memory", vm);
  attempt("signal the kernel", host(KILL, kernel, 0, 0, 0));
  attempt("signal the kernel's thread", host(TGKILL, kernel, kernel, 0, 0));
  attempt("trace the kernel", host(PTRACE, 16 /* PTRACE_ATTACH */, kernel, 0, 0));
  attempt("open a socket", host(SOCKET, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, 0));
  char *argv[] = {"/bin/true", 0};
  attempt("start a program", host(EXECVE, (long)"/bin/true", (long)argv, 0, 0));
  long child = host(FORK, 0, 0, 0, 0);
  if (child == 0) host(60 /* exit */, 0, 0, 0, 0);
  attempt("start a process", child);
  /* A region mapped "r" comes from a read-only descriptor of the RAM. */
  attempt("make a read-only region writable",
          host(MPROTECT, (long)(uintptr_t)vanity_region_notice.base, (long)vanity_region_notice.size, 3 /* PROT_READ|PROT_WRITE */, 0));
  vanity_printf("escape: %d way(s) out\n", ways_out);
  vanity_shutdown(0);
  return 0;
}

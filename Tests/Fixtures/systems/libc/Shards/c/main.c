#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vanity/vanity.h>

static int failures;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      printf("c: FAILED %s (line %d)\n", #cond, __LINE__);           \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static int by_value(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int main(void) {
  char buf[128];
  int n = snprintf(buf, sizeof buf, "%d %s %x %05u %zu %lld %" PRIu64 " %c%%", -42, "vanity", 0xbeefu, 7u, sizeof(uint32_t),
                   -9000000000ll, UINT64_C(18446744073709551615), 'z');
  CHECK(n == (int)strlen(buf));
  CHECK(strcmp(buf, "-42 vanity beef 00007 4 -9000000000 18446744073709551615 z%") == 0);
  char *end;
  CHECK(strtoul("0x1f rest", &end, 0) == 31 && strcmp(end, " rest") == 0);
  CHECK(strtol("-123", NULL, 10) == -123 && atoi("77") == 77);
  CHECK(isdigit('7') && !isdigit('x') && toupper('q') == 'Q' && isspace(' '));
  int v[] = {5, -1, 9, 3, 3, 0, 12, -7};
  qsort(v, sizeof v / sizeof v[0], sizeof v[0], by_value);
  int sorted = 1;
  for (size_t i = 1; i < sizeof v / sizeof v[0]; i++) sorted &= v[i - 1] <= v[i];
  CHECK(sorted && v[0] == -7 && v[7] == 12);
  CHECK(strstr("a needle in a haystack", "needle") != NULL && strchr("abc", 'c') != NULL && strrchr("abca", 'a')[1] == 0);

  /* The heap frees: 10,000 rounds of allocate, grow, free in 64 KiB. */
  size_t live = 0;
  for (int round = 0; round < 10000; round++) {
    char *p = malloc(100 + (size_t)round % 900);
    CHECK(p != NULL);
    if (!p) break;
    memset(p, round & 0xff, 100);
    char *q = realloc(p, 2000);
    CHECK(q != NULL && (unsigned char)q[99] == (round & 0xff));
    int *z = calloc(16, sizeof(int));
    CHECK(z != NULL && z[15] == 0);
    free(q);
    free(z);
    live++;
  }
  uint8_t a[1500], b[1500];
  for (int i = 0; i < 1500; i++) a[i] = (uint8_t)(i * 7);
  memcpy(b, a, sizeof a);
  memmove(b + 1, b, 1000);
  CHECK(memcmp(b + 1, a, 1000) == 0);
  printf("c: %zu heap rounds, %d failure(s)\n", live, failures);

  /* Wait for the other shards, then stop the system. */
  uint64_t m;
  vanity_recv(&vanity_channel_swift_done, &m);
  vanity_recv(&vanity_channel_exhaust_done, &m);
  int64_t t0 = vanity_time_ns();
  while (vanity_generation(3) < 2 && vanity_time_ns() - t0 < 60000000000ll) vanity_wait(10000000); /* its first trap */
  printf("c: done\n");
  vanity_shutdown(failures ? 1 : 0);
  return 0;
}

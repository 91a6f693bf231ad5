#include <vanity/vanity.h>

#ifndef CALLS
#define CALLS 20000u
#endif

static uint64_t state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

/* Arguments: small numbers, huge numbers, addresses in and out of the shard. */
static uint64_t arg(char *buf) {
  switch (rnd() % 6) {
  case 0: return rnd() % 8;
  case 1: return rnd() % 256;
  case 2: return rnd();
  case 3: return (uint64_t)(uintptr_t)buf;
  case 4: return VANITY_SHARD_TEXT_BASE + rnd() % 0x10000;
  default: return ~0ull - rnd() % 16;
  }
}

int main(void) {
  char buf[64] = "fuzz";
  uint64_t ok = 0, denied = 0, invalid = 0, nosys = 0, odd = 0;
  for (uint32_t i = 0; i < CALLS; i++) {
    uint64_t nr = rnd() % 4 == 0 ? rnd() : rnd() % 12;
    if (nr == VANITY_SYS_EXIT || nr == VANITY_SYS_SHUTDOWN) continue; /* would end the experiment */
    uint64_t a0 = arg(buf), a1 = arg(buf), a2 = arg(buf);
    if (nr == VANITY_SYS_WAIT) a0 = 1 + a0 % 20000;                   /* never forever */
    if (nr == VANITY_SYS_LOG && a0 == (uint64_t)(uintptr_t)buf) a1 = 0; /* valid text, but quiet */
    if (nr == VANITY_SYS_YIELD && rnd() % 8) continue;
    /* A fault record may land in the shard's own writable memory: into its
     * buffer, never over the generator's state (near the text). */
    if (nr == VANITY_SYS_FAULT_RECORD && a1 - VANITY_SHARD_TEXT_BASE < 0x10000) a1 = (uint64_t)(uintptr_t)buf;
    int64_t r = vanity_arch_syscall(nr, a0, a1, a2);
    if (r >= 0) ok++;
    else if (r == VANITY_E_DENIED) denied++;
    else if (r == VANITY_E_INVALID) invalid++;
    else if (r == VANITY_E_NOSYS) nosys++;
    else if (odd++ < 5) vanity_printf("fuzz: UNDOCUMENTED answer %ld to call %lu\n", r, nr);
  }
  vanity_wait(50000000); /* the random text may have used up its log rate: let it refill */
  vanity_printf("fuzz: %lu calls: %lu ok, %lu denied, %lu invalid, %lu no such call, %lu undocumented\n",
                ok + denied + invalid + nosys + odd, ok, denied, invalid, nosys, odd);
  vanity_shutdown(odd ? 1 : 0);
  return 1;
}

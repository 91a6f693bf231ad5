#include <vanity_shard.h>
#include <vanity/vanity.h>

/* Its own data: back to these values at every start. */
static volatile uint64_t seeded = 7;
static volatile uint64_t touched;

static uint64_t word(uint64_t i) { return (i + 1) * 0x9e3779b97f4a7c15ull; }

int main(void) {
  volatile uint64_t *journal = vanity_region_journal.base;
  uint64_t words = vanity_region_journal.size / 8;
  int64_t generation = vanity_generation(VANITY_SHARD_ID);
  if (generation == 1) {
    uint64_t used = 0;
    for (uint64_t i = 0; i < words; i++) used += journal[i] != 0;
    for (uint64_t i = 0; i < words; i++) journal[i] = word(i);
    seeded = 8;
    touched = 1;
    vanity_printf("keeper: generation 1: the journal was %s, filled it; waiting for a reload\n", used ? "NOT EMPTY" : "empty");
    /* Waiting is the quiescent point where a reload swaps the code. */
    int64_t start = vanity_time_ns();
    while (vanity_time_ns() - start < 120000000000ll) vanity_wait(10000000);
    vanity_printf("keeper: TIMEOUT: no reload came\n");
    vanity_shutdown(1);
  }
  uint64_t wrong = 0;
  for (uint64_t i = 0; i < words; i++) wrong += journal[i] != word(i);
  vanity_printf("keeper: generation %ld: journal %lu of %lu words wrong, own data %s\n", generation, wrong, words,
                seeded == 7 && touched == 0 ? "fresh" : "NOT RESET");
  /* Time for the kernel's verdict to reach `vanity-build reload` first. */
  vanity_wait(2000000000);
  vanity_shutdown(wrong || seeded != 7 || touched ? 1 : 0);
  return 1;
}

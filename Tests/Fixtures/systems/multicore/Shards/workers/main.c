#include <vanity_shard.h>
#include <vanity/vanity.h>
/* main runs once on each of the shard's cores. Core index k says which it
 * is and whether its stack pointer lies in its own stack, adds ADDS to a
 * counter shared by all three under a lock, then sends COUNT messages
 * {k, generation, i} on channel wk and a last one with i = 0. In generation
 * 1 core index 2 faults half-way: the kernel stops the other two wherever
 * they are and restarts all three. A core that is done waits: main
 * returning on any core would end the whole shard. */
#define COUNT 300u
#define ADDS 20000u

struct msg {
  uint32_t core, generation;
  uint64_t value;
};

static struct vanity_lock lock = VANITY_LOCK_INIT;
static uint64_t total;          /* under lock */
static volatile uint32_t added; /* cores done adding */

static const struct vanity_channel *const out[VANITY_SHARD_CORE_COUNT] = {&vanity_channel_w0, &vanity_channel_w1,
                                                                           &vanity_channel_w2};

int main(void) {
  uint32_t k = vanity_core_index();
  uint32_t generation = (uint32_t)vanity_generation(VANITY_SHARD_ID);
  volatile char here = 0;
  uintptr_t top = VANITY_SHARD_STACK_TOP + k * VANITY_SHARD_STACK_STRIDE, sp = (uintptr_t)&here;
  vanity_printf("workers: core index %u of %u, generation %u, own stack %s\n", k, VANITY_SHARD_CORE_COUNT, generation,
                sp < top && sp >= top - VANITY_SHARD_STACK_SIZE ? "yes" : "NO");
  for (uint32_t i = 0; i < ADDS; i++) {
    vanity_lock(&lock);
    total++;
    vanity_unlock(&lock);
    if (i % 1024 == 0) vanity_alive();
  }
  __atomic_fetch_add(&added, 1u, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&added, __ATOMIC_SEQ_CST) < VANITY_SHARD_CORE_COUNT) {
    vanity_alive();
    vanity_arch_pause();
  }
  if (k == 0) vanity_printf("workers: generation %u: total %lu of %u\n", generation, (unsigned long)total, ADDS * VANITY_SHARD_CORE_COUNT);
  for (uint32_t i = 1; i <= COUNT; i++) {
    if (generation == 1 && k == 2 && i == COUNT / 2) *(volatile uint32_t *)(uintptr_t)8 = 1;
    struct msg m = {k, generation, i};
    vanity_send(out[k], &m);
    vanity_alive();
  }
  struct msg done = {k, generation, 0};
  vanity_send(out[k], &done);
  for (;;) vanity_wait(0);
}

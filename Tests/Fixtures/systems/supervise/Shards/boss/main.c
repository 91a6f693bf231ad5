/* The escalation policy: the worker (a "propagate" child) may fault twice and
 * is restarted each time; at its third fault it is held. Then the sibling
 * (named in `supervises`) is restarted. Every fault record is checked against
 * what the worker said before it faulted, and logged; the test compares the
 * log with the kernel's FAULT lines. Ends the system when done. */
#include <vanity/vanity.h>

#define LIMIT_NS 60000000000ll /* a generous bound for each step on a loaded machine */

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    failures++;
    vanity_printf("boss: FAILED: %s\n", what);
  }
}

/* Waits (woken by the fault, or every 100 ms) until the worker has faulted
 * `n` times; returns its record. */
static struct vanity_fault_record await_fault(uint32_t n) {
  struct vanity_fault_record r = {0};
  int64_t start = vanity_time_ns();
  for (;;) {
    int64_t got = vanity_fault_record(VANITY_REACH_WORKER, &r);
    check(got == (int64_t)sizeof r, "the fault record is copied whole");
    if (r.faults >= n || vanity_time_ns() - start > LIMIT_NS) return r;
    vanity_wait(100000000);
  }
}

/* The next generation a shard announced on `ch` (0 after the bound). */
static uint64_t announced(const struct vanity_channel *ch) {
  uint64_t g = 0;
  int64_t start = vanity_time_ns();
  while (!vanity_try_recv(ch, &g)) {
    if (vanity_time_ns() - start > LIMIT_NS) return 0;
    vanity_wait(100000000);
  }
  return g;
}

int main(void) {
  uint64_t last_ns = 0;
  for (uint32_t n = 1; n <= 3; n++) {
    struct vanity_fault_record r = await_fault(n);
    uint64_t said = announced(&vanity_channel_starts);
    vanity_printf("boss: worker fault %u: kind %u pc 0x%lx addr 0x%lx generation %u faults %u\n", n, r.kind, r.pc, r.address,
                  r.generation, r.faults);
    check(r.faults == n, "one fault more each time");
    check(r.kind == VANITY_FAULT_TRAP, "the worker traps");
    check(r.generation == n && said == n, "the record's generation is the one the worker announced");
    check((int64_t)vanity_generation(VANITY_REACH_WORKER) == n, "a held worker keeps its generation");
    check(r.time_ns > last_ns && r.time_ns <= (uint64_t)vanity_time_ns(), "the fault time goes forward");
    last_ns = r.time_ns;
    if (n < 3) {
      int64_t rc = vanity_restart(VANITY_REACH_WORKER);
      vanity_printf("boss: restart worker -> %ld\n", rc);
      check(rc == 0, "restart the worker");
    } else {
      int64_t rc = vanity_hold(VANITY_REACH_WORKER);
      vanity_printf("boss: hold worker -> %ld\n", rc);
      check(rc == 0, "hold the worker");
      /* The hold is carried out on the worker's core: wait until it is. */
      int64_t start = vanity_time_ns(), pending;
      while ((pending = vanity_control_pending(VANITY_REACH_WORKER)) == VANITY_E_BUSY && vanity_time_ns() - start < LIMIT_NS)
        vanity_wait(1000000);
      check(pending == 0, "the hold is carried out");
    }
  }

  /* A buffer the boss cannot write (its own code) is refused, not written. */
  int64_t bad = vanity_arch_syscall(VANITY_SYS_FAULT_RECORD, VANITY_REACH_WORKER, VANITY_SHARD_TEXT_BASE, sizeof(struct vanity_fault_record));
  vanity_printf("boss: fault record into its text -> %ld\n", bad);
  check(bad == VANITY_E_INVALID, "a read-only buffer is refused");

  uint64_t first = announced(&vanity_channel_sibling_up);
  int64_t early = vanity_release(VANITY_REACH_SIBLING); /* it runs: nothing to release */
  int64_t rc = vanity_restart(VANITY_REACH_SIBLING);
  vanity_printf("boss: release running sibling -> %ld; restart sibling -> %ld\n", early, rc);
  check(first == 1 && early == VANITY_E_STATE && rc == 0, "the sibling is restarted, not released");
  uint64_t second = announced(&vanity_channel_sibling_up);
  vanity_printf("boss: sibling back with generation %lu\n", second);
  check(second == 2, "the sibling's second generation");

  int64_t outside[2] = {0, 0};
  int64_t start = vanity_time_ns();
  while (!vanity_try_recv(&vanity_channel_outside, outside) && vanity_time_ns() - start < LIMIT_NS) vanity_wait(100000000);
  vanity_printf("boss: outsider reports restart %ld, fault record %ld\n", outside[0], outside[1]);
  check(outside[0] == VANITY_E_DENIED && outside[1] == VANITY_E_DENIED, "the outsider is denied");

  check((int64_t)vanity_generation(VANITY_REACH_WORKER) == 3, "the held worker stays at generation 3");
  vanity_printf("boss: escalation done, %d failure(s)\n", failures);
  vanity_shutdown(failures ? 1u : 0u);
  return 1;
}

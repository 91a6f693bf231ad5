/* Kernel-internal declarations shared by the Kernel/src files. */
#ifndef VANITY_KERNEL_INTERNAL_H
#define VANITY_KERNEL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <vanity/abi.h>
#include <vanity/debug.h>
#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/syscall.h>

#define VANITY_NO_CORE 0xffffffffu
/* How often the kernel core looks at watchdogs and pending restarts. */
#define KERNEL_TICK_NS 10000000ull
/* How often it polls the debug link while bytes arrive (and for
 * LINK_BUSY_NS after the last) or a reload is under way. */
#define LINK_POLL_NS 20000ull
#define LINK_BUSY_NS 50000000ull
/* At most this many link bytes are taken per pass of the kernel core's
 * loop, so a flood never delays the watchdogs by more than a pass. */
#define LINK_BYTES_PER_PASS 2048u
/* A frame whose next byte has not come within this long is dropped (a
 * client that went away mid-frame must not swallow the next client's). */
#define LINK_PARTIAL_FRAME_NS 500000000ull

/* Requests made of a shard's core: by the kernel core (the debug link) or
 * by a supervisor shard (VANITY_SYS_CONTROL, whose actions share the values). */
enum shard_control {
  CONTROL_NONE = 0,
  CONTROL_RESTART = VANITY_CONTROL_RESTART, /* restart now, whatever its policy */
  CONTROL_HOLD = VANITY_CONTROL_HOLD,       /* stop it until released */
  CONTROL_RELEASE = VANITY_CONTROL_RELEASE, /* a held shard starts again */
  CONTROL_RELOAD = 4,  /* swap in the staged image at the shard's next quiescent point (wait) */
  CONTROL_RELOAD_FORCE = 5, /* the same at its next kernel entry, wherever it is */
};
/* A supervisor's request carries its id + 1 above the action (the debug
 * link's and every reload's: 0). */
#define CONTROL_ACTION 0xffu
#define CONTROL_FROM(shard) (((uint32_t)(shard) + 1u) << 8)

/* A reload's progress, shared by the kernel core and the shard's core. */
enum reload_phase {
  RELOAD_IDLE = 0,
  RELOAD_REQUESTED = 1, /* kernel core: staged and verified; the shard's core is asked to park */
  RELOAD_PARKED = 2,    /* shard's core: the old code is stopped; the kernel core may load */
  RELOAD_LOADED = 3,    /* kernel core: the new segments are in place; the shard's core restarts */
};

/* A shard's log rate limit (log.c): LOG_BURST lines at once, LOG_RATE a
 * second after that. */
#define LOG_BURST 200u
#define LOG_RATE 200u
struct log_bucket {
  uint64_t refilled_ns;
  uint32_t spent;   /* lines of the burst used (0, the start: the whole burst is there) */
  uint32_t dropped; /* lines dropped since the shard last logged */
};

struct shard_state {
  const struct vanity_shard_desc *desc;
  uint32_t core;                 /* the shard's first core (its interrupts are routed there) */
  uint64_t cores;                /* every core it runs on (bit n: core n) */
  volatile uint32_t run_state;   /* enum vanity_shard_state (<vanity/debug.h>) */
  volatile uint32_t fault_request; /* non-zero: the kernel core asks one of this shard's cores to fault it */
  /* A shard on several cores is stopped (fault, restart, hold, reload,
   * exit) by one of them, the stopper, which first parks the others
   * (shard_gather); the next start releases them (shard_start). */
  volatile uint32_t stopper;     /* the stopping core + 1; 0: none */
  volatile uint64_t parked;      /* the cores parked for the stopper */
  volatile uint32_t start_epoch; /* bumped by every start: parked cores enter the shard again */
  volatile uint32_t resume_epoch; /* bumped when a stop is called off: parked cores go on where they were */
  uint32_t generation;           /* starts so far (1 after boot) */
  uint32_t restarts;
  uint64_t started_ns;           /* when the current run began */
  uint64_t denied;               /* denied system calls */
  uint64_t syscalls;             /* system calls made */
  volatile uint32_t control;     /* enum shard_control, ORed with CONTROL_FROM(shard) when a supervisor asked */
  uint32_t taken_from;           /* the last request taken: 0 the debug link, else the asking shard's id + 1 */
  struct vanity_fault_record fault; /* the last fault (syscall.h); written on the shard's core before its supervisor is woken */
  volatile uint32_t reload_phase; /* enum reload_phase */
  uint8_t code_digest[8];        /* SHA-256 prefix of the last reload image (0: the boot image) */
  uint64_t reload_version;       /* the highest reload version accepted in this boot */
  struct log_bucket log;         /* the shard's log rate limit */
  uint32_t operator_hold;        /* held through the debug link: stays held across a reload until released */
  const struct vanity_region *data;  /* the data+bss region (status block first) */
  const struct vanity_region *image; /* pristine copy of the data region, for restart */
  const struct vanity_region *stack;
  const struct vanity_region *heap;
};

/* A context's scheduling state on a scheduled core (sched.c). */
enum sched_state {
  SCHED_READY = 0,     /* may run (or has not started yet) */
  SCHED_RUNNING = 1,   /* runs now */
  SCHED_BLOCKED = 2,   /* waits in the kernel for a kick or its deadline */
  SCHED_THROTTLED = 3, /* spent its budget: waits for its next period */
};
struct sched_context {
  volatile uint32_t pending; /* kicked since it blocked (set by any core) */
  uint32_t state;            /* enum sched_state */
  uint32_t started;          /* its kernel stack is in use (else it starts afresh when picked) */
  uint32_t throttles;        /* times it spent its budget */
  uint64_t deadline;         /* blocked: until a kick or this time (0: a kick only) */
  uint64_t ready_since;      /* first in, first out among equal priorities */
  uint64_t slice_used;       /* run time of its current slice (preemption by a higher one keeps it) */
  uint64_t ran_from;         /* running: since when its time was last charged */
  uint64_t used_ns;          /* budget spent in the current period */
  uint64_t period_start;
  uint64_t run_ns;           /* time run since boot */
  uint32_t clock_seq;        /* odd while run_ns, ran_from and state change (context_clock reads them from another core) */
  /* From the system table, at boot. */
  uint32_t priority;
  uint64_t budget_ns;        /* 0: no budget */
  uint64_t period_ns;
};

struct kernel_state {
  const struct vanity_system *sys;
  struct shard_state shards[VANITY_MAX_SHARDS];
  uint32_t core_shard[VANITY_MAX_CORES]; /* shard id per core, VANITY_NO_SHARD if none */
  volatile uint32_t stopping;
  volatile uint32_t exit_status;
  volatile uint64_t wake[VANITY_MAX_CORES];    /* per core: the wake word pending for its shard there (VANITY_WAKE_*, syscall.h) */
  volatile uint32_t waiting[VANITY_MAX_CORES]; /* per core: its shard waits there (the watchdog counts that as progress) */
  uint64_t last_beat[VANITY_MAX_CORES];        /* watchdog, per core: the heartbeat last seen */
  uint64_t last_beat_ns[VANITY_MAX_CORES];     /* watchdog, per core: when it last changed */
  volatile uint64_t entries[VANITY_MAX_CORES]; /* kernel entries per core (syscalls + faults + irqs) */
  volatile uint64_t idle_ns[VANITY_MAX_CORES];    /* time each core spent idle (kernel_idle), finished spells */
  volatile uint64_t idle_since[VANITY_MAX_CORES]; /* when the core's current idle spell began; 0: not idle */
  uint64_t boot_id;              /* this boot's id (HELLO); reloads are signed for it */
  /* Execution contexts (system_table.h): every per-core array above counts
   * contexts; these count physical cores. */
  uint32_t cpu_current[VANITY_MAX_CORES];      /* the context running on each core */
  uint8_t cpu_scheduled[VANITY_MAX_CORES];     /* the core runs the scheduler (sched.c) */
  uint64_t cpu_contexts[VANITY_MAX_CORES];     /* the contexts on each core (bit n: context n) */
  uint8_t context_cpu[VANITY_MAX_CORES];       /* each context's core (cpu_of) */
  uint8_t order[VANITY_MAX_CORES];             /* contexts by core, then priority, highest first (sched.c) */
  uint8_t order_first[VANITY_MAX_CORES];       /* where each core's run in `order` starts */
  uint8_t order_count[VANITY_MAX_CORES];
  uint64_t switches[VANITY_MAX_CORES];         /* context switches per core */
  struct sched_context sched[VANITY_MAX_CORES]; /* per context (sched.c) */
};

extern struct kernel_state kstate;

/* sched.c: waits in the kernel until a kick (kernel_kick) or `deadline_ns`
 * (0: none), maybe less (callers loop). On a core of its own that is
 * platform_idle, counted as the core's idle time (cpu_idle); on a shared
 * core the calling context blocks and another runs (sched_idle). */
void kernel_idle(uint64_t deadline_ns);
/* idle.c */
void cpu_idle(uint32_t cpu, uint64_t deadline_ns);
/* A shard's core counts as idle from boot until it first enters its shard
 * (kernel_idle_end), so a slow boot does not read as a busy core. */
void kernel_idle_from_boot(uint32_t core);
void kernel_idle_end(uint32_t core);
/* Time `core` has been idle since boot, the spell under way included. */
uint64_t core_idle_ns(uint32_t core, uint64_t now);
/* Percent of the time since boot that `core` was not idle. */
uint32_t core_busy_percent(uint32_t core, uint64_t now);

/* sched.c: shards sharing a core. */
void sched_init(void);
/* A core's first entry: on a shared core, runs the scheduler's first pick
 * and returns once the core's own context is picked. */
void sched_start(uint32_t cpu);
/* On the way back to a shard: lets a more urgent context run first (a
 * shared core only). Returns when the calling context runs again. */
void sched_preempt(void);
/* Wakes context `context` from kernel_idle (an interrupt to its core unless
 * that is the calling one). */
void kernel_kick(uint32_t context);
/* The same from core `here` (the caller's: a loop asks once). */
static inline void kernel_kick_from(uint32_t context, uint32_t here) {
  if (context >= VANITY_MAX_CORES) return;
  uint32_t cpu = kstate.context_cpu[context];
  if (kstate.cpu_scheduled[cpu]) __atomic_store_n(&kstate.sched[context].pending, 1u, __ATOMIC_RELEASE);
  if (cpu != here) platform_kick_core(cpu);
}
/* The watchdog's clock for context `context`: the time (`now`) on a core of
 * its own; on a shared core the time it has run, so that waiting for its
 * core (preempted, throttled) is not silence. */
uint64_t context_clock(uint32_t context, uint64_t now);
/* Time context `context` has not run since boot: its core's idle time, or
 * on a shared core the time the others ran too (STATS). */
uint64_t context_idle_ns(uint32_t context, uint64_t now);
static inline uint32_t cpu_of(uint32_t context) { return context < VANITY_MAX_CORES ? kstate.context_cpu[context] : context; }
/* The context running on the calling core. */
static inline uint32_t kernel_context(void) {
  uint32_t cpu = platform_core_id();
  return cpu < VANITY_MAX_CORES ? kstate.cpu_current[cpu] : cpu;
}

/* lib.c */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);

/* log.c */
void kvprintf(const char *fmt, va_list ap);
void klog_shard(const char *name, struct log_bucket *bucket, const char *text, size_t len);
/* The console lock: whole log lines and whole debug frames never interleave. */
void klog_lock(void);
void klog_unlock(void);
/* Copies recent log text from byte `since` (counted from boot; older than
 * what is kept: from the oldest kept) into `out`; returns how many bytes,
 * with where they start and how many were logged in all. */
uint32_t klog_recent(uint32_t since, uint8_t *out, uint32_t max, uint32_t *first, uint32_t *total, uint32_t *dropped);

/* channel.c */
void channels_init(void);
int64_t channel_notify(struct shard_state *caller, uint64_t channel);
void channels_bump_generation(uint32_t shard);
/* After a reload at a quiescent point: rings keep their messages; the
 * generation is bumped and the peers woken. */
void channels_reloaded(uint32_t shard);
/* ORs `bits` (a wake word, syscall.h) into the shard's pending word and
 * kicks its core; its next wait returns them. */
void shard_wake(struct shard_state *s, uint64_t bits);
/* Kicks every core of the shard but the caller's. */
void shard_kick(struct shard_state *s);

/* shard.c */
static inline struct shard_state *shard_on_core(uint32_t core) {
  if (core >= VANITY_MAX_CORES) return 0;
  uint32_t id = kstate.core_shard[core];
  return id == VANITY_NO_SHARD ? 0 : &kstate.shards[id];
}
void shard_start(struct shard_state *s) __attribute__((noreturn));
/* On one of the shard's cores, before it stops the shard: parks every other
 * core of the shard and returns once they are parked; if another core is
 * stopping the shard already, parks the calling core instead (which enters
 * the shard afresh at its next start). */
void shard_gather(struct shard_state *s);
/* The stop is called off: the parked cores go on where they were. */
void shard_ungather(struct shard_state *s);
/* Parks the calling core until the shard's next start (then enters it
 * afresh) or until the stop is called off (then returns). */
void shard_park(struct shard_state *s);
/* The shard's status block on its core `core` (watchdog). */
static inline volatile struct vanity_shard_status *shard_status(struct shard_state *s, uint32_t core) {
  return (volatile struct vanity_shard_status *)(uintptr_t)(s->data->virt + vanity_shard_core_index(s->desc, core) *
                                                                              sizeof(struct vanity_shard_status));
}
void shard_stop_here(struct shard_state *s) __attribute__((noreturn));
void shard_fault(struct shard_state *s, uint32_t kind, uint64_t pc, uint64_t address) __attribute__((noreturn));
const char *fault_name(uint32_t kind);
void system_stop(uint32_t status) __attribute__((noreturn));


/* debug_server.c: the link (kernel core only). Answers what arrived and
 * finishes pending reloads; returns whether the link wants polling soon
 * (bytes arrived or a reload is under way). */
int debug_poll(void);

/* reload.c: the kernel core's side (called by debug_server.c, which sends
 * every reply) and the shard core's quiescent point (called by shard.c). */
struct reload_reply {
  uint16_t id;            /* the request's id */
  uint8_t type;           /* the request's type */
  uint16_t error;         /* 0, or enum vanity_debug_error (then `text`) */
  const char *text;
  const uint8_t *payload; /* a success's payload */
  uint16_t length;
};
/* Handles one reload request; returns 1 when `out` is the answer to send
 * now, 0 when it comes later from reload_poll (a commit in progress). */
int reload_request(const struct vanity_debug_frame *f, struct reload_reply *out);
/* Advances transfers and pending reloads; returns 1 when `out` holds a
 * commit's answer to send. `*busy`: a transfer or reload is under way. */
int reload_poll(struct reload_reply *out, int *busy);
/* On the shard's own core: if a reload of `s` is pending, parks the shard,
 * waits until the kernel core has loaded the new code, and returns 1 (the
 * caller resets its memory, calls reload_finish and starts it); else 0. */
int reload_take(struct shard_state *s);
/* After the reset: records the new generation (the same one if the shard
 * stays held: `starts` 0) and lets the kernel core send the verdict. */
void reload_finish(struct shard_state *s, int starts);
extern const uint8_t vanity_reload_key[32];

/* shard.c: an operator's restart (debug link). */
void shard_restart(struct shard_state *s) __attribute__((noreturn));
/* shard.c: at a quiescent point, swaps in new code if a reload is pending
 * (then does not return, unless the operator holds the shard: then it
 * returns to shard_stop_here's loop with the new code in place). */
void shard_reload_here(struct shard_state *s);

static inline uint64_t atomic_load64(const volatile uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t atomic_load32(const volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void atomic_store32(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
/* On a core of `s`: parks it if another of the shard's cores is stopping it
 * (returns if that stop is called off). */
static inline void shard_stop_point(struct shard_state *s, uint32_t core) {
  uint32_t st = atomic_load32(&s->stopper);
  if (st && st != core + 1u) shard_park(s);
}
static inline int atomic_cas32(volatile uint32_t *p, uint32_t expected, uint32_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* On the shard's core: a pending restart, hold or release request (a
 * reload stays pending until the shard reaches its quiescent point). It
 * stays posted until control_done, so that a supervisor asking whether it is
 * still pending (VANITY_CONTROL_QUERY) hears "no" only once it is carried
 * out; `taken_from` says who made it. */
static inline uint32_t control_peek(struct shard_state *s) {
  uint32_t c = atomic_load32(&s->control), action = c & CONTROL_ACTION;
  if (action != CONTROL_RESTART && action != CONTROL_HOLD && action != CONTROL_RELEASE) return CONTROL_NONE;
  s->taken_from = c >> 8;
  return action;
}
/* Logs "kernel: <what> <shard> (debug link)" or "(asked by <supervisor>)"
 * (`what` 0: nothing), then clears the request: a new one may be posted
 * (shard.c). Only the shard's own core clears these requests. */
void control_done(const char *what, struct shard_state *s);

#endif

/* The system table: everything the kernel knows about one particular system.
 * vanity-build generates `system_table.c` defining `vanity_system` for each
 * platform; the kernel never hard-codes a system. */
#ifndef VANITY_SYSTEM_TABLE_H
#define VANITY_SYSTEM_TABLE_H

#include <stdint.h>

enum vanity_region_kind {
  VANITY_REGION_TEXT = 1,
  VANITY_REGION_RODATA = 2,
  VANITY_REGION_DATA = 3,   /* data + bss */
  VANITY_REGION_STACK = 4,
  VANITY_REGION_GUARD = 5,  /* never mapped */
  VANITY_REGION_HEAP = 6,
  VANITY_REGION_CHANNEL = 7,
  VANITY_REGION_DEVICE = 8,
  VANITY_REGION_TABLES = 9, /* kernel: translation tables */
  VANITY_REGION_IMAGE = 10, /* kernel: a shard's pristine data+bss, copied back on restart */
  VANITY_REGION_STAGING = 11, /* kernel: where a reload image arrives (reload.h) */
  VANITY_REGION_MAILBOX = 12, /* the simulator only: a shard's system-call mailbox (Platforms/sim) */
  VANITY_REGION_SHARED = 13,  /* a shared memory region ([regions.<name>]): never executable, kept across
                                 restarts and reloads of the shards that map it */
};

enum vanity_perm {
  VANITY_PERM_R = 1u << 0,
  VANITY_PERM_W = 1u << 1,
  VANITY_PERM_X = 1u << 2,
  VANITY_PERM_DEVICE = 1u << 3,   /* map as device memory (MMIO) */
  VANITY_PERM_UNCACHED = 1u << 4, /* normal memory, not cached (a region's cache = "uncached") */
};

enum vanity_lang {
  VANITY_LANG_C = 0,     /* C17 */
  VANITY_LANG_SWIFT = 1, /* Embedded Swift */
};

enum vanity_policy_kind {
  VANITY_POLICY_RESTART = 1,
  VANITY_POLICY_HOLD = 2,
  VANITY_POLICY_ABORT = 3,
  VANITY_POLICY_PROPAGATE = 4,
};

#define VANITY_NO_SHARD 0xffffu

/* Limits of one system: the kernel's and the platforms' tables are this
 * big, and vanity-build rejects larger systems. */
#define VANITY_MAX_SHARDS 64u
#define VANITY_MAX_CORES 64u /* a platform's cpu-limit is at most this */
/* Address spaces: the kernel's and one per shard. */
#define VANITY_MAX_SPACES (1u + VANITY_MAX_SHARDS)
_Static_assert(VANITY_MAX_SHARDS + 1u >= VANITY_MAX_CORES, "every core but the kernel's can hold a shard");

/* Translation-table pages the layout reserves per address space (the
 * kernel's and each shard's) in the kernel's `tables` region. */
#define VANITY_TABLE_PAGES_PER_SPACE 32u

struct vanity_region {
  uint64_t phys;
  uint64_t virt;
  uint64_t size;
  uint32_t kind;  /* enum vanity_region_kind */
  uint32_t perms; /* enum vanity_perm bits */
};

struct vanity_policy {
  uint32_t kind;         /* enum vanity_policy_kind */
  uint32_t max_restarts; /* restart: hold after this many */
  uint32_t min_run_ms;   /* restart: minimum time between two starts */
  uint16_t propagate_to; /* propagate: the supervisor shard, else VANITY_NO_SHARD */
  uint16_t reserved;
};

struct vanity_channel_desc {
  const char *name;
  uint16_t from;     /* writing shard */
  uint16_t to;       /* reading shard */
  uint32_t msg_size;
  uint32_t slots;
  uint32_t notify;   /* 1 if the reader is woken on new messages */
  uint16_t from_index; /* the channel's position in the writer's channel list: its wake bit there (syscall.h) */
  uint16_t to_index;   /* the same in the reader's */
  uint64_t phys;     /* the ring (struct vanity_ring) */
  uint64_t size;     /* bytes mapped, page-rounded */
};

struct vanity_irq_grant {
  uint32_t irq;      /* the interrupt controller's number for the line */
  uint16_t shard;    /* owning shard */
  uint16_t core;     /* the core the line is routed to */
  uint32_t index;    /* the line's position in the owner's `irqs`: its wake bit there (syscall.h) */
};

struct vanity_shard_desc {
  const char *name;
  uint16_t id;
  uint16_t lang;            /* enum vanity_lang */
  uint32_t caps;            /* enum vanity_cap bits */
  uint64_t core_mask;       /* bit n: core n */
  uint64_t entry;           /* virtual address of _start (first byte of text) */
  uint64_t stack_top;       /* virtual address one past the stack of the shard's first core */
  uint64_t stack_stride;    /* from one core's stack to the next's (a stack and its guard page) */
  uint64_t data_image;      /* the shard's IMAGE region: its data region as loaded */
  uint32_t watchdog_ms;     /* 0: no watchdog */
  uint32_t region_count;
  const struct vanity_region *regions;
  uint32_t channel_count;
  const uint16_t *channels; /* indices into vanity_system.channels */
  uint32_t irq_count;
  const uint32_t *irqs;     /* interrupt numbers granted to this shard */
  struct vanity_policy policy;
  uint64_t reach;           /* bit n: shard n is in this shard's reach (VANITY_SYS_CONTROL, VANITY_SYS_FAULT_RECORD):
                               its `propagate` children and the shards its `supervises` names */
};
_Static_assert(VANITY_MAX_SHARDS <= 64, "a shard's reach is a 64-bit mask");

/* A shard on several cores runs one thread of execution per core; core
 * `core`'s index among them counts its cores in ascending order (0: the
 * lowest-numbered, the shard's first core), and its stack ends
 * `index * stack_stride` above the first core's. */
static inline uint32_t vanity_shard_core_count(const struct vanity_shard_desc *d) {
  return (uint32_t)__builtin_popcountll(d->core_mask);
}
static inline uint32_t vanity_shard_core_index(const struct vanity_shard_desc *d, uint32_t core) {
  return core >= 64 ? 0 : (uint32_t)__builtin_popcountll(d->core_mask & ((1ull << core) - 1u));
}
static inline uint64_t vanity_shard_stack_top(const struct vanity_shard_desc *d, uint32_t core) {
  return d->stack_top + (uint64_t)vanity_shard_core_index(d, core) * d->stack_stride;
}

/* An execution context: a thread of the kernel's. Context n < cpu_count is
 * core n's (its first shard, if any); the contexts after those run further
 * shards on shared cores. A shard's core_mask, and the kernel's per-core
 * state, count contexts; `cpu` is the physical core. On a core where some
 * context is `scheduled`, the kernel's scheduler picks which runs
 * (docs/kernel.md, "Shards sharing a core"). */
struct vanity_context {
  uint16_t cpu;
  uint16_t shard;     /* VANITY_NO_SHARD: none */
  uint8_t scheduled;  /* 1: the shard set `priority` */
  uint8_t priority;   /* higher runs first */
  uint16_t reserved;
  uint32_t budget_us; /* 0: no budget; else it runs at most this long in every period */
  uint32_t period_us;
};

struct vanity_system {
  const char *name;
  uint8_t build_id[32];     /* SHA-256 of every other generated file: which build this is */
  const char *platform;
  uint32_t image_format;    /* enum vanity_image_format (reload.h): what a reload image is here */
  uint32_t page_size;
  uint32_t kernel_core;
  uint64_t ram_base;
  uint64_t ram_size;
  uint64_t kernel_stack_size;
  uint32_t cpu_count;       /* cores the system uses: kernel core and shards */
  uint32_t context_count;   /* cpu_count, plus one for each further shard on a shared core */
  const struct vanity_context *contexts;
  uint32_t kernel_region_count;
  const struct vanity_region *kernel_regions;
  uint32_t shard_count;
  const struct vanity_shard_desc *shards;
  uint32_t channel_count;
  const struct vanity_channel_desc *channels;
  uint32_t irq_count;
  const struct vanity_irq_grant *irqs;
};

extern const struct vanity_system vanity_system;

#endif

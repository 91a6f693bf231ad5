/* The hosted simulator's shared structures: what the kernel process and a
 * shard process exchange through shared memory. */
#ifndef VANITY_SIM_H
#define VANITY_SIM_H

#include <stdint.h>

#define VANITY_SIM_LOG_MAX 512u

/* A scheduling point in deterministic mode: a request no kernel sees. */
#define VANITY_SIM_SYS_SCHED 0x5c4edu

/* A device register access (arch.h: vanity_arch_mmio_read/write): a0 the
 * address (the shard's), a1 the value written, a2 the width in bytes, with
 * VANITY_SIM_MMIO_WRITE for a write. The result is the value read. */
#define VANITY_SIM_SYS_MMIO 0x5c4eeu
#define VANITY_SIM_MMIO_WRITE 0x100u

/* In the shard's mailbox region, a page the simulator's layout adds after
 * the shard's stack and heap (VANITY_REGION_MAILBOX): the shard runs on its
 * stack region, every byte of which is its stack, as on a board. */
struct vanity_sim_mailbox {
  volatile uint32_t kick;  /* futex: set to wake the shard's core thread */
  volatile uint32_t state; /* futex: 0 idle, 1 request posted, 2 result ready */
  uint64_t nr, a0, a1, a2;
  int64_t result;
  /* Written by the shard's fault handler just before it dies. */
  volatile uint32_t fault_signal;
  uint32_t fault_is_trap; /* the faulting instruction was ud2 or int3 (a Swift trap) */
  uint64_t fault_pc;
  uint64_t fault_addr;
  char log[VANITY_SIM_LOG_MAX];
};

/* What a VANITY_SIM_MAPS entry maps: the shared RAM, the device page, or
 * nothing (a guard: reserved inaccessible, so nothing else lands there). */
enum { VANITY_SIM_MAP_RAM = 0, VANITY_SIM_MAP_DEVICE = 1, VANITY_SIM_MAP_GUARD = 2 };

/* Environment variables the kernel process passes to each shard process. */
#define VANITY_SIM_ENV_RAM_FD "VANITY_SIM_RAM_FD"   /* fd of the shared RAM */
#define VANITY_SIM_ENV_DEV_FD "VANITY_SIM_DEV_FD"   /* fd of the simulated device page */
#define VANITY_SIM_ENV_MAPS "VANITY_SIM_MAPS"       /* "addr,size,prot,offset,fdsel;..." hex, what to map */
#define VANITY_SIM_ENV_MAILBOX "VANITY_SIM_MAILBOX" /* hex address of the first core's mailbox */
#define VANITY_SIM_ENV_STACK_TOP "VANITY_SIM_STACK_TOP" /* hex: one past the first core's layout stack */
/* A shard on several cores: one thread each, core k's mailbox
 * k * VANITY_SIM_MAILBOX_STRIDE and its stack k * VANITY_SIM_STACK_STRIDE
 * above the first core's. */
#define VANITY_SIM_ENV_CORES "VANITY_SIM_CORES"             /* decimal: how many cores (absent: 1) */
#define VANITY_SIM_ENV_STACK_STRIDE "VANITY_SIM_STACK_STRIDE" /* hex */
#define VANITY_SIM_ENV_MAILBOX_STRIDE "VANITY_SIM_MAILBOX_STRIDE" /* hex */
#define VANITY_SIM_ENV_DETERMINISTIC "VANITY_SIM_DETERMINISTIC" /* set: shards stop at every channel operation */
#define VANITY_SIM_ENV_KERNEL_PID "VANITY_SIM_KERNEL_PID" /* decimal: the kernel process that started the shard */
#define VANITY_SIM_ENV_MMIO "VANITY_SIM_MMIO"       /* "addr,size;..." hex: modelled device ranges (not mapped) */

/* Options of the kernel process (environment of `vanity-build run`). */
#define VANITY_SIM_ENV_SEED "VANITY_SIM_SEED"     /* decimal: deterministic mode with this seed */
#define VANITY_SIM_ENV_INJECT "VANITY_SIM_INJECT" /* "kill,trap,delay,drop,loss": faults to inject */
#define VANITY_SIM_ENV_RATE "VANITY_SIM_RATE"     /* injections per 10,000 scheduling points */
#define VANITY_SIM_ENV_TRACE "VANITY_SIM_TRACE"   /* file for the event trace */
#define VANITY_SIM_ENV_DISK "VANITY_SIM_DISK"     /* the file behind the block device ([run] disk) */
#define VANITY_SIM_ENV_FORWARD "VANITY_SIM_FORWARD" /* "udp:HOSTPORT:GUESTPORT,tcp:...": ports the net device forwards */

#endif

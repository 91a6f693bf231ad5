/* Handles a shard receives in its generated header (vanity_shard.h): one per
 * channel endpoint, one per shared region it maps and one per granted device. vanity-build fills them from
 * the layout; the user libraries take them as arguments. */
#ifndef VANITY_HANDLES_H
#define VANITY_HANDLES_H

#include <stdint.h>
#include "ring.h"

/* Which end of a channel a shard holds. */
enum vanity_direction {
  VANITY_DIR_SEND = 1,    /* this shard writes ("from") */
  VANITY_DIR_RECEIVE = 2, /* this shard reads ("to") */
};

#define VANITY_NO_IRQ 0xffffffffu

struct vanity_channel {
  struct vanity_ring *ring; /* the shared ring, mapped into both endpoints */
  uint16_t id;              /* the channel's index in the system table (the notify argument) */
  uint16_t direction;       /* enum vanity_direction */
  uint16_t peer;            /* the other endpoint's shard id */
  uint16_t notify;          /* 1 if the reader is woken on new messages */
  uint32_t msg_size;        /* bytes per slot */
  uint32_t slots;           /* a power of two */
  uint32_t wake_index;      /* its position in this shard's channel list: its bit in a wait's result (syscall.h) */
};

struct vanity_device {
  uintptr_t base;     /* first byte of the device's first `reg` range */
  uint64_t size;      /* bytes of that range */
  uint32_t irq;       /* first interrupt line, or VANITY_NO_IRQ */
  uint32_t irq_count; /* lines granted with the device */
  uint32_t irq_index; /* the shard's interrupt index of `irq` (lines irq_index.. in a wait's result, syscall.h) */
};

/* A shared memory region ([regions.<name>] in system.toml) as one shard maps
 * it: the same address in every shard that maps it, never executable, and
 * its contents outlive restarts and reloads of those shards. */
struct vanity_shared_region {
  void *base;        /* first byte (read-only unless `writable`) */
  uint64_t size;     /* bytes, a multiple of the page size */
  uint64_t phys;     /* physical address of `base` for a DMA region (dma = true), else 0 */
  uint32_t writable; /* 1: mapped "rw" into this shard, 0: "r" (a write faults) */
  uint32_t dma;      /* 1: dma = true (physically contiguous, `phys` given) */
  uint32_t uncached; /* 1: cache = "uncached" (accesses bypass the caches) */
};

/* Device register access (also what Swift shards call). On the boards a
 * plain volatile access, so every read and write reaches the device. A
 * platform whose devices are not memory (the simulator's device models)
 * defines VANITY_ARCH_MMIO in its <vanity/arch.h> and provides
 * vanity_arch_mmio_read/write(addr, [value,] width in bytes). */
#if defined(__has_include)
#if __has_include(<vanity/arch.h>)
#include <vanity/arch.h>
#endif
#endif
#ifdef VANITY_ARCH_MMIO
static inline uint32_t vanity_mmio_read32(uintptr_t addr) { return (uint32_t)vanity_arch_mmio_read(addr, 4); }
static inline void vanity_mmio_write32(uintptr_t addr, uint32_t value) { vanity_arch_mmio_write(addr, value, 4); }
static inline uint8_t vanity_mmio_read8(uintptr_t addr) { return (uint8_t)vanity_arch_mmio_read(addr, 1); }
static inline uint16_t vanity_mmio_read16(uintptr_t addr) { return (uint16_t)vanity_arch_mmio_read(addr, 2); }
static inline void vanity_mmio_write8(uintptr_t addr, uint8_t value) { vanity_arch_mmio_write(addr, value, 1); }
static inline void vanity_mmio_write16(uintptr_t addr, uint16_t value) { vanity_arch_mmio_write(addr, value, 2); }
#else
static inline uint32_t vanity_mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void vanity_mmio_write32(uintptr_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }
static inline uint8_t vanity_mmio_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static inline uint16_t vanity_mmio_read16(uintptr_t addr) { return *(volatile uint16_t *)addr; }
static inline void vanity_mmio_write8(uintptr_t addr, uint8_t value) { *(volatile uint8_t *)addr = value; }
static inline void vanity_mmio_write16(uintptr_t addr, uint16_t value) { *(volatile uint16_t *)addr = value; }
#endif

#endif

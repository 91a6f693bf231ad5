/* virtio 1.x over virtio-mmio (version 2, "modern"): the one transport and
 * split-virtqueue implementation the driver shards share (Shards/net-virtio,
 * Shards/blk-virtio; docs/io.md). Header-only, like the rest of the shards'
 * C library headers: every function is static inline, so a driver compiles
 * it in its own folder's objects.
 *
 * What is here: the register map, the status and feature handshake
 * (vanity_virtio_probe, vanity_virtio_negotiate, vanity_virtio_driver_ok),
 * config space reads with the generation check, interrupt acknowledgement,
 * and split virtqueues (virtio 1.x, 2.7) placed in a DMA region: setup,
 * publishing avail entries, kicking only when the device asks to be
 * kicked, and switching used-buffer interrupts on and off.
 *
 * What is not: any device type's own requests or headers (those stay in the
 * driver), legacy (version 1) transports, packed virtqueues, the event
 * index, indirect descriptors. Messages are logged with the caller's name
 * in front ("net: ...", "blk: ...").
 *
 * Memory ordering: queue memory is ordinary cached RAM shared with the
 * device. Avail entries are published before the index with release stores,
 * and a full fence separates that from reading the device's flags or
 * kicking (vanity_virtio_mb). QEMU's devices are cache-coherent, so nothing
 * else is needed there. */
#ifndef VANITY_VIRTIO_H
#define VANITY_VIRTIO_H

#include <stdint.h>
#include <string.h>

#include <vanity/vanity.h>

/* ------------------------------------------------------------ virtio-mmio */

enum {
  VIRTIO_MMIO_MAGIC = 0x000,
  VIRTIO_MMIO_VERSION = 0x004,
  VIRTIO_MMIO_DEVICE_ID = 0x008,
  VIRTIO_MMIO_VENDOR_ID = 0x00c,
  VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
  VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
  VIRTIO_MMIO_QUEUE_SEL = 0x030,
  VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
  VIRTIO_MMIO_QUEUE_NUM = 0x038,
  VIRTIO_MMIO_QUEUE_READY = 0x044,
  VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
  VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
  VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
  VIRTIO_MMIO_STATUS = 0x070,
  VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
  VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
  VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090,
  VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094,
  VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0,
  VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
  VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
  VIRTIO_MMIO_CONFIG = 0x100,
};
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */

/* Device status bits. */
enum {
  VIRTIO_S_ACKNOWLEDGE = 1,
  VIRTIO_S_DRIVER = 2,
  VIRTIO_S_DRIVER_OK = 4,
  VIRTIO_S_FEATURES_OK = 8,
  VIRTIO_S_NEEDS_RESET = 64,
  VIRTIO_S_FAILED = 128,
};

/* InterruptStatus bits. */
#define VIRTIO_INT_USED 1u
#define VIRTIO_INT_CONFIG 2u

/* Device-independent feature bits. */
#define VIRTIO_F_VERSION_1 32u

/* Device ids. */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u

/* One virtio-mmio transport: where its registers are, and the name its
 * driver logs under. */
struct vanity_virtio {
  uintptr_t base;
  const char *who;
};

static inline uint32_t vanity_virtio_read(const struct vanity_virtio *v, uint32_t off) { return vanity_mmio_read32(v->base + off); }
static inline void vanity_virtio_write(const struct vanity_virtio *v, uint32_t off, uint32_t value) {
  vanity_mmio_write32(v->base + off, value);
}

/* Orders our stores to queue memory before the device may see what follows
 * (an index, a kick), and our loads after reading an index. The device is
 * another agent in the coherent domain under QEMU (docs/io.md). */
static inline void vanity_virtio_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Is there a modern (version 2) transport at v->base with device `id`
 * behind it? Logs why not, naming the device as `what` ("a network card"):
 * no transport, a legacy one (QEMU's default for virtio-mmio), no device
 * attached, another kind of device. 0 when it is there. */
static inline int vanity_virtio_probe(const struct vanity_virtio *v, uint32_t id, const char *what, const char *qemu_device) {
  uint32_t magic = vanity_virtio_read(v, VIRTIO_MMIO_MAGIC), version = vanity_virtio_read(v, VIRTIO_MMIO_VERSION);
  uint32_t found = vanity_virtio_read(v, VIRTIO_MMIO_DEVICE_ID);
  if (magic != VIRTIO_MMIO_MAGIC_VALUE) {
    vanity_printf("%s: no virtio-mmio transport at 0x%lx (magic 0x%x)\n", v->who, (uint64_t)v->base, magic);
    return -1;
  }
  if (version == 1) {
    vanity_printf("%s: the virtio-mmio transport at 0x%lx is legacy (version 1); this driver needs virtio 1.x "
                  "(version 2): start QEMU with -global virtio-mmio.force-legacy=false\n",
                  v->who, (uint64_t)v->base);
    return -1;
  }
  if (version != 2) {
    vanity_printf("%s: the virtio-mmio transport at 0x%lx has unknown version %u\n", v->who, (uint64_t)v->base, version);
    return -1;
  }
  if (found != id) {
    if (found == 0)
      vanity_printf("%s: no device on the virtio-mmio transport at 0x%lx (attach a %s to it)\n", v->who, (uint64_t)v->base, qemu_device);
    else
      vanity_printf("%s: the device at 0x%lx is virtio device %u, not %s (%u)\n", v->who, (uint64_t)v->base, found, what, id);
    return -1;
  }
  return 0;
}

/* Resets the device, says ACKNOWLEDGE and DRIVER, and negotiates features:
 * VIRTIO_F_VERSION_1 is required, of `optional` it takes what the device
 * offers. Sets FEATURES_OK and checks the device kept it. Returns the
 * accepted features in *accepted; 0 on success, -1 (device FAILED) if not. */
static inline int vanity_virtio_negotiate(const struct vanity_virtio *v, uint64_t optional, uint64_t *accepted) {
  vanity_virtio_write(v, VIRTIO_MMIO_STATUS, 0);
  while (vanity_virtio_read(v, VIRTIO_MMIO_STATUS) != 0) vanity_arch_pause();
  vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
  vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);

  vanity_virtio_write(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint64_t offered = vanity_virtio_read(v, VIRTIO_MMIO_DEVICE_FEATURES);
  vanity_virtio_write(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t)vanity_virtio_read(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
    vanity_printf("%s: the device does not offer VIRTIO_F_VERSION_1 (features 0x%lx)\n", v->who, offered);
    vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_FAILED);
    return -1;
  }
  uint64_t wanted = (1ull << VIRTIO_F_VERSION_1) | (offered & optional);
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)wanted);
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(wanted >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
  if (!(vanity_virtio_read(v, VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK)) {
    vanity_printf("%s: the device refused features 0x%lx\n", v->who, wanted);
    vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_FAILED);
    return -1;
  }
  *accepted = wanted;
  return 0;
}

/* Marks a failed bring-up (after negotiation). */
static inline void vanity_virtio_fail(const struct vanity_virtio *v) { vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_FAILED); }

/* The driver is ready: the device may use its queues. */
static inline void vanity_virtio_driver_ok(const struct vanity_virtio *v) {
  vanity_virtio_write(v, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
}

/* Copies `n` bytes of device config space from `off` into `out`, a byte at
 * a time (every width is allowed for config space), until ConfigGeneration
 * says the copy is consistent. */
static inline void vanity_virtio_config(const struct vanity_virtio *v, uint32_t off, void *out, uint32_t n) {
  uint32_t gen;
  do {
    gen = vanity_virtio_read(v, VIRTIO_MMIO_CONFIG_GENERATION);
    for (uint32_t i = 0; i < n; i++) ((uint8_t *)out)[i] = vanity_mmio_read8(v->base + VIRTIO_MMIO_CONFIG + off + i);
  } while (gen != vanity_virtio_read(v, VIRTIO_MMIO_CONFIG_GENERATION));
}

/* Reads and acknowledges InterruptStatus; returns it. A device that asks
 * for a reset is logged (not handled yet). The caller still acknowledges
 * the interrupt line to the kernel (vanity_irq_ack). */
static inline uint32_t vanity_virtio_interrupt(const struct vanity_virtio *v) {
  uint32_t status = vanity_virtio_read(v, VIRTIO_MMIO_INTERRUPT_STATUS);
  if (status) vanity_virtio_write(v, VIRTIO_MMIO_INTERRUPT_ACK, status);
  if (status & VIRTIO_INT_CONFIG) {
    uint32_t s = vanity_virtio_read(v, VIRTIO_MMIO_STATUS);
    if (s & VIRTIO_S_NEEDS_RESET) vanity_printf("%s: the device needs a reset (status 0x%x); not handled yet\n", v->who, s);
  }
  return status;
}

/* ------------------------------------------------------------ split virtqueues */

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
struct virtq_avail {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
struct virtq_used_elem {
  uint32_t id;
  uint32_t len;
};
struct virtq_used {
  uint16_t flags;
  uint16_t idx;
  struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* The most entries a queue gets here (QEMU offers 256), and the memory one
 * takes: a 4 KiB page each for descriptors, avail ring and used ring. */
#define VANITY_VIRTQ_MAX 256u
#define VANITY_VIRTQ_AREA 0x3000u
_Static_assert(VANITY_VIRTQ_MAX * sizeof(struct virtq_desc) <= 0x1000, "descriptors fit a page");
_Static_assert(4 + VANITY_VIRTQ_MAX * sizeof(struct virtq_used_elem) + 2 <= 0x1000, "the used ring fits a page");

struct vanity_virtq {
  uint32_t index;              /* the device's queue number */
  uint32_t size;               /* entries, a power of two */
  struct virtq_desc *desc;
  struct virtq_avail *avail;
  struct virtq_used *used;
  uint16_t avail_idx;          /* next avail slot we fill */
  uint16_t used_seen;          /* next used slot we read */
  uint16_t pending_kick;       /* avail entries published since the last kick */
};

/* Sets up queue `index` with up to `want` (≤ VANITY_VIRTQ_MAX) entries in
 * VANITY_VIRTQ_AREA bytes at `mem` (page-aligned, in a DMA region; the
 * device sees it at `phys`). Between negotiation and DRIVER_OK. */
static inline int vanity_virtq_setup(const struct vanity_virtio *v, struct vanity_virtq *q, uint32_t index, uint32_t want, void *mem,
                                     uint64_t phys) {
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_SEL, index);
  if (vanity_virtio_read(v, VIRTIO_MMIO_QUEUE_READY)) {
    vanity_printf("%s: queue %u is already in use after a reset\n", v->who, index);
    return -1;
  }
  uint32_t max = vanity_virtio_read(v, VIRTIO_MMIO_QUEUE_NUM_MAX);
  if (max == 0) {
    vanity_printf("%s: the device has no queue %u\n", v->who, index);
    return -1;
  }
  uint32_t size = want < VANITY_VIRTQ_MAX ? want : VANITY_VIRTQ_MAX;
  while (size & (size - 1)) size &= size - 1; /* a power of two */
  while (size > max) size >>= 1;
  if (size < 2) {
    vanity_printf("%s: queue %u is too small (%u entries)\n", v->who, index, max);
    return -1;
  }
  memset(mem, 0, VANITY_VIRTQ_AREA);
  q->index = index;
  q->size = size;
  q->desc = (struct virtq_desc *)mem;
  q->avail = (struct virtq_avail *)((uint8_t *)mem + 0x1000);
  q->used = (struct virtq_used *)((uint8_t *)mem + 0x2000);
  q->avail_idx = q->used_seen = q->pending_kick = 0;
  uint64_t d = phys, a = phys + 0x1000, u = phys + 0x2000;
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_NUM, size);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_READY, 1);
  return 0;
}

/* The device's used index (acquire: the entries before it are visible). */
static inline uint16_t vanity_virtq_used_idx(const struct vanity_virtq *q) { return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE); }

/* Has the device used buffers we have not reaped? */
static inline int vanity_virtq_has_used(const struct vanity_virtq *q) { return vanity_virtq_used_idx(q) != q->used_seen; }

/* Puts descriptor chain `head` in the next avail slot (not yet published). */
static inline void vanity_virtq_add(struct vanity_virtq *q, uint16_t head) {
  q->avail->ring[q->avail_idx & (q->size - 1)] = head;
  q->avail_idx++;
}

/* Publishes the `n` entries added since the last publish. */
static inline void vanity_virtq_publish(struct vanity_virtq *q, uint16_t n) {
  if (!n) return;
  __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
  q->pending_kick += n;
}

/* The next used element, or 0 when there is none: *e receives it. The
 * caller checks e->id (the device may be wrong). */
static inline int vanity_virtq_next_used(struct vanity_virtq *q, uint16_t until, struct virtq_used_elem *e) {
  if (q->used_seen == until) return 0;
  *e = q->used->ring[q->used_seen & (q->size - 1)];
  q->used_seen++;
  return 1;
}

/* Kicks the device for `q` if it has new buffers and wants to hear of
 * them (an MMIO write, which traps to QEMU, not to the kernel). Returns
 * whether it kicked. */
static inline int vanity_virtq_kick(const struct vanity_virtio *v, struct vanity_virtq *q) {
  if (!q->pending_kick) return 0;
  vanity_virtio_mb(); /* avail->idx is visible before we read the device's flag */
  q->pending_kick = 0;
  if (__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & VIRTQ_USED_F_NO_NOTIFY) return 0;
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
  return 1;
}

/* Used-buffer interrupts for `q` on or off (a hint to the device; without
 * the event index it is all there is). Call vanity_virtio_mb after the
 * last queue, before looking for work once more. */
static inline void vanity_virtq_interrupts(struct vanity_virtq *q, int on) {
  __atomic_store_n(&q->avail->flags, (uint16_t)(on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT), __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ waiting */

/* Says on a receiving ring that the driver is about to sleep, so the
 * sender notifies; returns whether a message is there already. */
static inline int vanity_virtio_arm(const struct vanity_channel *ch) {
  __atomic_store_n(&ch->ring->producer.consumer_waiting, 1u, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return vanity_pending(ch) != 0;
}

#endif

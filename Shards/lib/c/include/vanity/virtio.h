/* virtio 1.x ("modern") over virtio-mmio (version 2) or PCI: the one
 * transport and split-virtqueue implementation the driver shards share (Shards/net-virtio,
 * Shards/blk-virtio; docs/io.md). Header-only, like the rest of the shards'
 * C library headers: every function is static inline, so a driver compiles
 * it in its own folder's objects.
 *
 * What is here: both transports (virtio-mmio on the virt boards, virtio-pci
 * on x86_64-pc: the driver places the device's BAR in the window its grant
 * names and takes INTx through the I/O APIC), the status and feature handshake
 * (vanity_virtio_probe, vanity_virtio_negotiate, vanity_virtio_driver_ok),
 * config space reads with the generation check, interrupt acknowledgement,
 * and split virtqueues (virtio 1.x, 2.7) placed in a DMA region: setup,
 * publishing avail entries, kicking only when the device asks to be
 * kicked, and switching used-buffer interrupts on and off.
 *
 * What is not: any device type's own requests or headers (those stay in the
 * driver), legacy (version 1 / pre-1.0 PCI) transports, MSI-X, packed virtqueues, the event
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

/* ------------------------------------------------------------ virtio-pci */

/* PCI configuration space (the function's 4 KiB ECAM page). */
enum {
  PCI_CFG_VENDOR = 0x00,
  PCI_CFG_DEVICE = 0x02,
  PCI_CFG_COMMAND = 0x04,
  PCI_CFG_STATUS = 0x06,
  PCI_CFG_BAR0 = 0x10,
  PCI_CFG_SUBSYSTEM = 0x2e,
  PCI_CFG_CAPS = 0x34,
};
#define PCI_COMMAND_MEMORY 0x0002u
#define PCI_COMMAND_MASTER 0x0004u
#define PCI_COMMAND_INTX_DISABLE 0x0400u
#define PCI_STATUS_CAPS 0x0010u
#define PCI_CAP_VENDOR 0x09u
#define VIRTIO_PCI_VENDOR 0x1af4u

/* virtio_pci_cap.cfg_type */
enum { VIRTIO_PCI_CAP_COMMON = 1, VIRTIO_PCI_CAP_NOTIFY = 2, VIRTIO_PCI_CAP_ISR = 3, VIRTIO_PCI_CAP_DEVICE = 4 };

/* The common configuration structure (virtio 1.x, 4.1.4.3). */
enum {
  VIRTIO_PCI_DEVICE_FEATURE_SELECT = 0x00,
  VIRTIO_PCI_DEVICE_FEATURE = 0x04,
  VIRTIO_PCI_DRIVER_FEATURE_SELECT = 0x08,
  VIRTIO_PCI_DRIVER_FEATURE = 0x0c,
  VIRTIO_PCI_MSIX_CONFIG = 0x10,
  VIRTIO_PCI_DEVICE_STATUS = 0x14,
  VIRTIO_PCI_CONFIG_GENERATION = 0x15,
  VIRTIO_PCI_QUEUE_SELECT = 0x16,
  VIRTIO_PCI_QUEUE_SIZE = 0x18,
  VIRTIO_PCI_QUEUE_MSIX_VECTOR = 0x1a,
  VIRTIO_PCI_QUEUE_ENABLE = 0x1c,
  VIRTIO_PCI_QUEUE_NOTIFY_OFF = 0x1e,
  VIRTIO_PCI_QUEUE_DESC = 0x20,
  VIRTIO_PCI_QUEUE_DRIVER = 0x28,
  VIRTIO_PCI_QUEUE_DEVICE = 0x30,
};
#define VIRTIO_PCI_NO_VECTOR 0xffffu

/* ------------------------------------------------------------ one transport */

/* A virtio device behind one of two transports, and the name its driver
 * logs under. Set up with vanity_virtio_mmio or vanity_virtio_pci, then
 * vanity_virtio_probe.
 *
 * virtio-mmio: `base` is the register page.
 * virtio-pci: `base` is the function's configuration space (its ECAM page),
 * `window` the memory the device tree reserves for the BAR that holds the
 * virtio structures. vanity_virtio_probe places that BAR there itself
 * (whatever the firmware chose), turns on memory decoding and bus mastering,
 * and finds the common, notify, ISR and device structures in it. */
struct vanity_virtio {
  uintptr_t base;
  const char *who;
  int pci;                         /* 0: virtio-mmio, 1: virtio-pci */
  uintptr_t window;                /* virtio-pci: the BAR's place */
  uint64_t window_size;
  uintptr_t common, notify, isr, device; /* virtio-pci: the structures, once probed */
  uint32_t notify_multiplier;
  uint64_t unacked;                /* the device's lines served since the last sleep (vanity_virtio_sleep) */
};

/* Register accesses of either transport: the platform's (vanity/handles.h;
 * the simulator's device models answer them through the kernel). */
static inline uint8_t vanity_virtio_r8(uintptr_t a) { return vanity_mmio_read8(a); }
static inline uint16_t vanity_virtio_r16(uintptr_t a) { return vanity_mmio_read16(a); }
static inline uint32_t vanity_virtio_r32(uintptr_t a) { return vanity_mmio_read32(a); }
static inline void vanity_virtio_w8(uintptr_t a, uint8_t x) { vanity_mmio_write8(a, x); }
static inline void vanity_virtio_w16(uintptr_t a, uint16_t x) { vanity_mmio_write16(a, x); }
static inline void vanity_virtio_w32(uintptr_t a, uint32_t x) { vanity_mmio_write32(a, x); }

/* virtio-mmio registers (the mmio transport only). */
static inline uint32_t vanity_virtio_read(const struct vanity_virtio *v, uint32_t off) { return vanity_mmio_read32(v->base + off); }
static inline void vanity_virtio_write(const struct vanity_virtio *v, uint32_t off, uint32_t value) {
  vanity_mmio_write32(v->base + off, value);
}

/* A transport at a virtio-mmio register page. */
static inline void vanity_virtio_mmio(struct vanity_virtio *v, uintptr_t base) {
  v->base = base;
  v->pci = 0;
}

/* A transport at a PCI function's configuration page, its virtio BAR to be
 * placed at `window` (`window_size` bytes, aligned to the BAR's size). */
static inline void vanity_virtio_pci(struct vanity_virtio *v, uintptr_t config, uintptr_t window, uint64_t window_size) {
  v->base = config;
  v->pci = 1;
  v->window = window;
  v->window_size = window_size;
}

/* Which one a driver uses follows its grant's device-tree node: one
 * compatible with "vanity,virtio-pci" (VANITY_DEVICE_<NAME>_COMPAT_VANITY_VIRTIO_PCI
 * in vanity_shard.h) has two reg ranges, the configuration page
 * (VANITY_DEVICE_<NAME>_ADDR) and the BAR window (_REG1_ADDR, _REG1_SIZE);
 * any other is a virtio-mmio register page. */

/* Status register and config generation, either transport. */
static inline uint32_t vanity_virtio_status(const struct vanity_virtio *v) {
  return v->pci ? vanity_virtio_r8(v->common + VIRTIO_PCI_DEVICE_STATUS) : vanity_virtio_read(v, VIRTIO_MMIO_STATUS);
}
static inline void vanity_virtio_set_status(const struct vanity_virtio *v, uint32_t s) {
  if (v->pci)
    vanity_virtio_w8(v->common + VIRTIO_PCI_DEVICE_STATUS, (uint8_t)s);
  else
    vanity_virtio_write(v, VIRTIO_MMIO_STATUS, s);
}
static inline uint32_t vanity_virtio_generation(const struct vanity_virtio *v) {
  return v->pci ? vanity_virtio_r8(v->common + VIRTIO_PCI_CONFIG_GENERATION) : vanity_virtio_read(v, VIRTIO_MMIO_CONFIG_GENERATION);
}

/* Orders our stores to queue memory before the device may see what follows
 * (an index, a kick), and our loads after reading an index. The device is
 * another agent in the coherent domain under QEMU (docs/io.md). */
static inline void vanity_virtio_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* virtio-mmio: is there a modern (version 2) transport with device `id`? */
static inline int vanity_virtio_probe_mmio(const struct vanity_virtio *v, uint32_t id, const char *what, const char *qemu_device) {
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
      vanity_printf("%s: no device on the virtio-mmio transport at 0x%lx (attach a %s-device to it)\n", v->who, (uint64_t)v->base,
                    qemu_device);
    else
      vanity_printf("%s: the device at 0x%lx is virtio device %u, not %s (%u)\n", v->who, (uint64_t)v->base, found, what, id);
    return -1;
  }
  return 0;
}

/* virtio-pci: is there a virtio device `id` in the PCI function? Then its
 * virtio structures' BAR goes to the window, memory decoding and bus
 * mastering on, INTx enabled, and the structures found. */
static inline int vanity_virtio_probe_pci(struct vanity_virtio *v, uint32_t id, const char *what, const char *qemu_device) {
  uintptr_t cfg = v->base;
  uint16_t vendor = vanity_virtio_r16(cfg + PCI_CFG_VENDOR), device = vanity_virtio_r16(cfg + PCI_CFG_DEVICE);
  if (vendor == 0xffff) {
    vanity_printf("%s: no PCI device at config space 0x%lx (attach a %s-pci to that slot)\n", v->who, (uint64_t)cfg, qemu_device);
    return -1;
  }
  /* Modern devices are 0x1040 + id; transitional ones 0x1000..0x103f with
   * the virtio id as subsystem id (they have the modern structures too). */
  uint32_t found = device >= 0x1040 ? device - 0x1040u : device >= 0x1000 ? vanity_virtio_r16(cfg + PCI_CFG_SUBSYSTEM) : 0xffffffffu;
  if (vendor != VIRTIO_PCI_VENDOR || found != id) {
    vanity_printf("%s: the PCI device at config space 0x%lx is %04x:%04x, not %s (virtio %u)\n", v->who, (uint64_t)cfg, vendor, device,
                  what, id);
    return -1;
  }
  /* Decoding off while the BAR moves. */
  uint16_t command = vanity_virtio_r16(cfg + PCI_CFG_COMMAND);
  vanity_virtio_w16(cfg + PCI_CFG_COMMAND, (uint16_t)(command & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)));

  uint32_t bar = 0xffffffffu, off[5] = {0}, len[5] = {0};
  int seen[5] = {0};
  uint32_t multiplier = 0;
  if (!(vanity_virtio_r16(cfg + PCI_CFG_STATUS) & PCI_STATUS_CAPS)) {
    vanity_printf("%s: the PCI device at config space 0x%lx has no capabilities (a legacy virtio device?)\n", v->who, (uint64_t)cfg);
    return -1;
  }
  uint32_t at = vanity_virtio_r8(cfg + PCI_CFG_CAPS) & 0xfcu;
  for (uint32_t n = 0; at >= 0x40 && at < 0x100 && n < 48; n++) {
    uint32_t head = vanity_virtio_r32(cfg + at);
    if ((head & 0xff) == PCI_CAP_VENDOR) {
      uint32_t type = (head >> 24) & 0xff, b = vanity_virtio_r8(cfg + at + 4);
      if (type >= VIRTIO_PCI_CAP_COMMON && type <= VIRTIO_PCI_CAP_DEVICE && !seen[type] && b < 6) {
        if (bar != 0xffffffffu && b != bar) {
          vanity_printf("%s: the virtio structures are in BARs %u and %u; this driver places one\n", v->who, bar, b);
          return -1;
        }
        bar = b;
        seen[type] = 1;
        off[type] = vanity_virtio_r32(cfg + at + 8);
        len[type] = vanity_virtio_r32(cfg + at + 12);
        if (type == VIRTIO_PCI_CAP_NOTIFY) multiplier = vanity_virtio_r32(cfg + at + 16);
      }
    }
    at = (head >> 8) & 0xfc;
  }
  for (uint32_t t = VIRTIO_PCI_CAP_COMMON; t <= VIRTIO_PCI_CAP_DEVICE; t++)
    if (!seen[t]) {
      vanity_printf("%s: the PCI device at config space 0x%lx lacks virtio structure %u (start QEMU's device with "
                    "disable-legacy=on)\n",
                    v->who, (uint64_t)cfg, t);
      return -1;
    }

  /* Size the BAR (all ones, read back), then place it at the window. */
  uintptr_t reg = cfg + PCI_CFG_BAR0 + 4 * bar;
  uint32_t low = vanity_virtio_r32(reg);
  if (low & 1) {
    vanity_printf("%s: BAR %u of the device is an I/O BAR\n", v->who, bar);
    return -1;
  }
  int wide = ((low >> 1) & 3) == 2;
  vanity_virtio_w32(reg, 0xffffffffu);
  uint64_t mask = vanity_virtio_r32(reg) & ~0xfull;
  if (wide) {
    uint32_t high = vanity_virtio_r32(reg + 4);
    vanity_virtio_w32(reg + 4, 0xffffffffu);
    mask |= (uint64_t)vanity_virtio_r32(reg + 4) << 32;
    vanity_virtio_w32(reg + 4, high);
  } else {
    mask |= 0xffffffff00000000ull;
  }
  vanity_virtio_w32(reg, low);
  uint64_t size = ~mask + 1;
  for (uint32_t t = VIRTIO_PCI_CAP_COMMON; t <= VIRTIO_PCI_CAP_DEVICE; t++)
    if ((uint64_t)off[t] + len[t] > size) {
      vanity_printf("%s: virtio structure %u lies outside BAR %u (%lu bytes)\n", v->who, t, bar, size);
      return -1;
    }
  if (mask == 0 || size > v->window_size || (v->window & (size - 1)) || (!wide && (uint64_t)v->window + size > 0x100000000ull)) {
    vanity_printf("%s: BAR %u (%lu bytes%s) does not fit the window 0x%lx + 0x%lx the device tree grants\n", v->who, bar, size,
                  wide ? ", 64-bit" : "", (uint64_t)v->window, v->window_size);
    return -1;
  }
  vanity_virtio_w32(reg, (uint32_t)v->window | (low & 0xfu));
  if (wide) vanity_virtio_w32(reg + 4, (uint32_t)((uint64_t)v->window >> 32));
  command = (uint16_t)((command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) & ~PCI_COMMAND_INTX_DISABLE);
  vanity_virtio_w16(cfg + PCI_CFG_COMMAND, command);

  v->common = v->window + off[VIRTIO_PCI_CAP_COMMON];
  v->notify = v->window + off[VIRTIO_PCI_CAP_NOTIFY];
  v->isr = v->window + off[VIRTIO_PCI_CAP_ISR];
  v->device = v->window + off[VIRTIO_PCI_CAP_DEVICE];
  v->notify_multiplier = multiplier;
  return 0;
}

/* Is there a virtio 1.x device `id` behind the transport? Logs why not,
 * naming the device as `what` ("a network card") and QEMU's device as
 * `qemu_device` ("virtio-net": -device for mmio, -pci for PCI): no
 * transport, a legacy one (QEMU's default for virtio-mmio), no device
 * attached, another kind of device. 0 when it is there. */
static inline int vanity_virtio_probe(struct vanity_virtio *v, uint32_t id, const char *what, const char *qemu_device) {
  return v->pci ? vanity_virtio_probe_pci(v, id, what, qemu_device) : vanity_virtio_probe_mmio(v, id, what, qemu_device);
}

static inline uint32_t vanity_virtio_features(const struct vanity_virtio *v, uint32_t select) {
  if (v->pci) {
    vanity_virtio_w32(v->common + VIRTIO_PCI_DEVICE_FEATURE_SELECT, select);
    return vanity_virtio_r32(v->common + VIRTIO_PCI_DEVICE_FEATURE);
  }
  vanity_virtio_write(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, select);
  return vanity_virtio_read(v, VIRTIO_MMIO_DEVICE_FEATURES);
}

static inline void vanity_virtio_accept(const struct vanity_virtio *v, uint32_t select, uint32_t features) {
  if (v->pci) {
    vanity_virtio_w32(v->common + VIRTIO_PCI_DRIVER_FEATURE_SELECT, select);
    vanity_virtio_w32(v->common + VIRTIO_PCI_DRIVER_FEATURE, features);
    return;
  }
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, select);
  vanity_virtio_write(v, VIRTIO_MMIO_DRIVER_FEATURES, features);
}

/* Resets the device, says ACKNOWLEDGE and DRIVER, and negotiates features:
 * VIRTIO_F_VERSION_1 is required, of `optional` it takes what the device
 * offers. Sets FEATURES_OK and checks the device kept it. Returns the
 * accepted features in *accepted; 0 on success, -1 (device FAILED) if not. */
static inline int vanity_virtio_negotiate(const struct vanity_virtio *v, uint64_t optional, uint64_t *accepted) {
  vanity_virtio_set_status(v, 0);
  while (vanity_virtio_status(v) != 0) vanity_arch_pause();
  vanity_virtio_set_status(v, VIRTIO_S_ACKNOWLEDGE);
  vanity_virtio_set_status(v, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
  if (v->pci) vanity_virtio_w16(v->common + VIRTIO_PCI_MSIX_CONFIG, VIRTIO_PCI_NO_VECTOR); /* INTx, not MSI-X */

  uint64_t offered = vanity_virtio_features(v, 0) | (uint64_t)vanity_virtio_features(v, 1) << 32;
  if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
    vanity_printf("%s: the device does not offer VIRTIO_F_VERSION_1 (features 0x%lx)\n", v->who, offered);
    vanity_virtio_set_status(v, VIRTIO_S_FAILED);
    return -1;
  }
  uint64_t wanted = (1ull << VIRTIO_F_VERSION_1) | (offered & optional);
  vanity_virtio_accept(v, 0, (uint32_t)wanted);
  vanity_virtio_accept(v, 1, (uint32_t)(wanted >> 32));
  vanity_virtio_set_status(v, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
  if (!(vanity_virtio_status(v) & VIRTIO_S_FEATURES_OK)) {
    vanity_printf("%s: the device refused features 0x%lx\n", v->who, wanted);
    vanity_virtio_set_status(v, VIRTIO_S_FAILED);
    return -1;
  }
  *accepted = wanted;
  return 0;
}

/* Marks a failed bring-up (after negotiation). */
static inline void vanity_virtio_fail(const struct vanity_virtio *v) { vanity_virtio_set_status(v, VIRTIO_S_FAILED); }

/* The driver is ready: the device may use its queues. */
static inline void vanity_virtio_driver_ok(const struct vanity_virtio *v) {
  vanity_virtio_set_status(v, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
}

/* Copies `n` bytes of device config space from `off` into `out`, a byte at
 * a time (every width is allowed for config space), until the config
 * generation says the copy is consistent. */
static inline void vanity_virtio_config(const struct vanity_virtio *v, uint32_t off, void *out, uint32_t n) {
  uintptr_t at = (v->pci ? v->device : v->base + VIRTIO_MMIO_CONFIG) + off;
  uint32_t gen;
  do {
    gen = vanity_virtio_generation(v);
    for (uint32_t i = 0; i < n; i++) ((uint8_t *)out)[i] = vanity_virtio_r8(at + i);
  } while (gen != vanity_virtio_generation(v));
}

/* Reads and acknowledges the interrupt status (virtio-pci: reading the ISR
 * clears it and lowers the INTx line); returns it. A device that asks for a
 * reset is logged (not handled yet). The caller still acknowledges the
 * interrupt line to the kernel (vanity_irq_ack, or vanity_virtio_served and
 * its next vanity_virtio_sleep). */
static inline uint32_t vanity_virtio_interrupt(const struct vanity_virtio *v) {
  uint32_t status;
  if (v->pci) {
    status = vanity_virtio_r8(v->isr);
  } else {
    status = vanity_virtio_read(v, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (status) vanity_virtio_write(v, VIRTIO_MMIO_INTERRUPT_ACK, status);
  }
  if (status & VIRTIO_INT_CONFIG) {
    uint32_t s = vanity_virtio_status(v);
    if (s & VIRTIO_S_NEEDS_RESET) vanity_printf("%s: the device needs a reset (status 0x%x); not handled yet\n", v->who, s);
  }
  return status;
}

/* A driver's sleeps. The device's lines that fired (the kernel masked each
 * as it fired) are not acknowledged at once but in the wait of the driver's
 * next sleep (vanity_wait_ack), one kernel entry for both: while the driver
 * polls, the device has nothing to say that the driver does not see.
 * vanity_virtio_served: the wake word `woke` had lines of `dev`: reads and
 * acknowledges the device's interrupt status (returned) and keeps the lines
 * for the next sleep. vanity_virtio_sleep: vanity_wait that acknowledges
 * them. */
static inline uint32_t vanity_virtio_served(struct vanity_virtio *v, const struct vanity_device *dev, uint64_t woke) {
  v->unacked |= woke & vanity_wake_irq_range(dev->irq_index, dev->irq_count);
  return vanity_virtio_interrupt(v);
}
static inline int64_t vanity_virtio_sleep(struct vanity_virtio *v, uint64_t timeout_ns) {
  int64_t woke = vanity_wait_ack(timeout_ns, v->unacked);
  v->unacked = 0;
  return woke;
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
  uintptr_t notify;            /* where a kick is written */
};

/* Sets up queue `index` with up to `want` (≤ VANITY_VIRTQ_MAX) entries in
 * VANITY_VIRTQ_AREA bytes at `mem` (page-aligned, in a DMA region; the
 * device sees it at `phys`). Between negotiation and DRIVER_OK. */
static inline int vanity_virtq_setup(const struct vanity_virtio *v, struct vanity_virtq *q, uint32_t index, uint32_t want, void *mem,
                                     uint64_t phys) {
  uint32_t max;
  if (v->pci) {
    vanity_virtio_w16(v->common + VIRTIO_PCI_QUEUE_SELECT, (uint16_t)index);
    if (vanity_virtio_r16(v->common + VIRTIO_PCI_QUEUE_ENABLE)) {
      vanity_printf("%s: queue %u is already in use after a reset\n", v->who, index);
      return -1;
    }
    max = vanity_virtio_r16(v->common + VIRTIO_PCI_QUEUE_SIZE);
  } else {
    vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_SEL, index);
    if (vanity_virtio_read(v, VIRTIO_MMIO_QUEUE_READY)) {
      vanity_printf("%s: queue %u is already in use after a reset\n", v->who, index);
      return -1;
    }
    max = vanity_virtio_read(v, VIRTIO_MMIO_QUEUE_NUM_MAX);
  }
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
  if (v->pci) {
    uintptr_t c = v->common;
    vanity_virtio_w16(c + VIRTIO_PCI_QUEUE_SIZE, (uint16_t)size);
    vanity_virtio_w16(c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, VIRTIO_PCI_NO_VECTOR);
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DESC, (uint32_t)d);
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DESC + 4, (uint32_t)(d >> 32));
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DRIVER, (uint32_t)a);
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DRIVER + 4, (uint32_t)(a >> 32));
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DEVICE, (uint32_t)u);
    vanity_virtio_w32(c + VIRTIO_PCI_QUEUE_DEVICE + 4, (uint32_t)(u >> 32));
    q->notify = v->notify + (uintptr_t)vanity_virtio_r16(c + VIRTIO_PCI_QUEUE_NOTIFY_OFF) * v->notify_multiplier;
    vanity_virtio_w16(c + VIRTIO_PCI_QUEUE_ENABLE, 1);
    return 0;
  }
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_NUM, size);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
  vanity_virtio_write(v, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
  q->notify = v->base + VIRTIO_MMIO_QUEUE_NOTIFY;
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
 * them (an MMIO write to the queue's notify address, which traps to QEMU,
 * not to the kernel). Returns
 * whether it kicked. */
static inline int vanity_virtq_kick(const struct vanity_virtio *v, struct vanity_virtq *q) {
  if (!q->pending_kick) return 0;
  vanity_virtio_mb(); /* avail->idx is visible before we read the device's flag */
  q->pending_kick = 0;
  if (__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & VIRTQ_USED_F_NO_NOTIFY) return 0;
  if (v->pci)
    vanity_virtio_w16(q->notify, (uint16_t)q->index);
  else
    vanity_virtio_w32(q->notify, q->index);
  return 1;
}

/* Used-buffer interrupts for `q` on or off (a hint to the device; without
 * the event index it is all there is). Call vanity_virtio_mb after the
 * last queue, before looking for work once more. */
static inline void vanity_virtq_interrupts(struct vanity_virtq *q, int on) {
  __atomic_store_n(&q->avail->flags, (uint16_t)(on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT), __ATOMIC_RELAXED);
}

#endif

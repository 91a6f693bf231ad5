/* The simulator's virtio-mmio transport (virtio 1.x, 4.2.2: version 2,
 * "modern"), as the same driver shards see it under QEMU: the register map
 * of Shards/lib/c/include/vanity/virtio.h, answered synchronously in the
 * kernel process when a shard's access arrives through its mailbox
 * (VANITY_SIM_SYS_MMIO), plus split virtqueues read from and written to the
 * simulated RAM, which this process maps at its physical addresses. The
 * device types are virtio_blk.c and virtio_net.c. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vanity/sim.h>

#include "devices.h"

pthread_mutex_t sim_dev_lock = PTHREAD_MUTEX_INITIALIZER;

enum {
  R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
  R_DEVICE_FEATURES = 0x010, R_DEVICE_FEATURES_SEL = 0x014, R_DRIVER_FEATURES = 0x020, R_DRIVER_FEATURES_SEL = 0x024,
  R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050,
  R_INTERRUPT_STATUS = 0x060, R_INTERRUPT_ACK = 0x064, R_STATUS = 0x070,
  R_QUEUE_DESC_LOW = 0x080, R_QUEUE_DESC_HIGH = 0x084, R_QUEUE_DRIVER_LOW = 0x090, R_QUEUE_DRIVER_HIGH = 0x094,
  R_QUEUE_DEVICE_LOW = 0x0a0, R_QUEUE_DEVICE_HIGH = 0x0a4, R_CONFIG_GENERATION = 0x0fc, R_CONFIG = 0x100,
};
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define F_VERSION_1 (1ull << 32)

struct desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
struct used_elem {
  uint32_t id, len;
};

static const struct vanity_system *sys;
static struct sim_virtio net_dev, blk_dev;
static struct sim_virtio *devices[2];
static unsigned device_count;

void *sim_dma(uint64_t phys, uint64_t len) {
  uint64_t base = sys->ram_base, size = sys->ram_size;
  if (phys < base || len > size || phys - base > size - len) return NULL;
  return (void *)(uintptr_t)phys;
}

int sim_virtio_live(const struct sim_virtio *d) { return (d->status & S_DRIVER_OK) != 0; }

static int queue_usable(const struct sim_vq *q) { return q->ready && q->num && q->num <= SIM_VQ_MAX && !(q->num & (q->num - 1)); }

int sim_vq_has_avail(struct sim_virtio *d, uint32_t qi) {
  struct sim_vq *q = &d->q[qi];
  if (!sim_virtio_live(d) || !queue_usable(q)) return 0;
  uint16_t *avail = sim_dma(q->avail, 4 + 2ull * q->num);
  return avail && __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE) != q->last_avail;
}

int sim_vq_pop(struct sim_virtio *d, uint32_t qi, struct sim_chain *c) {
  struct sim_vq *q = &d->q[qi];
  if (!sim_virtio_live(d) || !queue_usable(q)) return 0;
  uint16_t *avail = sim_dma(q->avail, 4 + 2ull * q->num);
  struct desc *table = sim_dma(q->desc, 16ull * q->num);
  if (!avail || !table) return 0;
  uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
  if (idx == q->last_avail) return 0;
  if ((uint16_t)(idx - q->last_avail) > q->num) {
    sim_log("sim: %s: queue %u: the driver made %u buffers available on a queue of %u; ignored\n", d->name, qi,
            (unsigned)(uint16_t)(idx - q->last_avail), q->num);
    q->last_avail = idx;
    return 0;
  }
  uint16_t head = avail[2 + q->last_avail % q->num];
  q->last_avail++;
  c->head = head;
  c->n = 0;
  c->bad = 0;
  uint32_t i = head;
  for (uint32_t k = 0;; k++) {
    if (i >= q->num || k >= q->num || c->n >= SIM_CHAIN_MAX) {
      c->bad = 1;
      break;
    }
    struct desc e;
    memcpy(&e, &table[i], sizeof e); /* once: the driver may change it meanwhile */
    uint8_t *p = sim_dma(e.addr, e.len);
    if (!p) c->bad = 1;
    c->seg[c->n++] = (struct sim_seg){p, p ? e.len : 0, (e.flags & 2) != 0};
    if (!(e.flags & 1)) break;
    i = e.next;
  }
  return 1;
}

void sim_vq_push(struct sim_virtio *d, uint32_t qi, uint16_t head, uint32_t len) {
  struct sim_vq *q = &d->q[qi];
  if (!queue_usable(q)) return;
  uint16_t *used = sim_dma(q->used, 4 + 8ull * q->num);
  if (!used) return;
  struct used_elem *ring = (struct used_elem *)(used + 2);
  ring[q->used_idx % q->num] = (struct used_elem){head, len};
  q->used_idx++;
  __atomic_store_n(&used[1], q->used_idx, __ATOMIC_RELEASE);
}

void sim_vq_interrupt(struct sim_virtio *d, uint32_t qi) {
  struct sim_vq *q = &d->q[qi];
  uint16_t *avail = queue_usable(q) ? sim_dma(q->avail, 4) : NULL;
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the used index before the driver's flag */
  if (avail && (__atomic_load_n(&avail[0], __ATOMIC_ACQUIRE) & 1u)) return; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
  d->int_status |= 1u;
  sim_irq_set(d->irq, 1);
}

static void virtio_reset(struct sim_virtio *d) {
  d->status = d->dev_features_sel = d->drv_features_sel = d->queue_sel = d->int_status = 0;
  d->driver_features = 0;
  memset(d->q, 0, sizeof d->q);
  sim_irq_set(d->irq, 0);
  if (d->reset) d->reset(d);
}

static uint64_t virtio_read(struct sim_virtio *d, uint32_t off, uint32_t width) {
  if (off >= R_CONFIG) return d->device_id && d->config_read ? d->config_read(d, off - R_CONFIG, width) : 0;
  if (width != 4 || (off & 3)) return 0;
  struct sim_vq *q = d->queue_sel < SIM_VQS ? &d->q[d->queue_sel] : NULL;
  switch (off) {
  case R_MAGIC: return 0x74726976u; /* "virt" */
  case R_VERSION: return 2;
  case R_DEVICE_ID: return d->device_id;
  case R_VENDOR_ID: return 0x5954564eu; /* "NVTY" */
  case R_DEVICE_FEATURES:
    return d->dev_features_sel == 0 ? (uint32_t)d->features : d->dev_features_sel == 1 ? (uint32_t)(d->features >> 32) : 0;
  case R_QUEUE_NUM_MAX: return q && d->queue_sel < d->queues ? SIM_VQ_MAX : 0;
  case R_QUEUE_READY: return q ? q->ready : 0;
  case R_INTERRUPT_STATUS: return d->int_status;
  case R_STATUS: return d->status;
  case R_CONFIG_GENERATION: return 0;
  default: return 0;
  }
}

static void set_low(uint64_t *v, uint32_t x) { *v = (*v & ~0xffffffffull) | x; }
static void set_high(uint64_t *v, uint32_t x) { *v = (*v & 0xffffffffull) | ((uint64_t)x << 32); }

static void virtio_write(struct sim_virtio *d, uint32_t off, uint32_t value, uint32_t width) {
  if (off >= R_CONFIG || width != 4 || (off & 3)) return; /* config space is read-only here */
  struct sim_vq *q = d->queue_sel < d->queues ? &d->q[d->queue_sel] : NULL;
  switch (off) {
  case R_DEVICE_FEATURES_SEL: d->dev_features_sel = value; break;
  case R_DRIVER_FEATURES_SEL: d->drv_features_sel = value; break;
  case R_DRIVER_FEATURES:
    if (d->status & S_FEATURES_OK) break;
    if (d->drv_features_sel == 0) set_low(&d->driver_features, value);
    else if (d->drv_features_sel == 1) set_high(&d->driver_features, value);
    break;
  case R_QUEUE_SEL: d->queue_sel = value; break;
  case R_QUEUE_NUM: if (q && !q->ready) q->num = value; break;
  case R_QUEUE_READY:
    if (q) {
      q->ready = value & 1;
      if (!q->ready) q->last_avail = q->used_idx = 0;
    }
    break;
  case R_QUEUE_DESC_LOW: if (q && !q->ready) set_low(&q->desc, value); break;
  case R_QUEUE_DESC_HIGH: if (q && !q->ready) set_high(&q->desc, value); break;
  case R_QUEUE_DRIVER_LOW: if (q && !q->ready) set_low(&q->avail, value); break;
  case R_QUEUE_DRIVER_HIGH: if (q && !q->ready) set_high(&q->avail, value); break;
  case R_QUEUE_DEVICE_LOW: if (q && !q->ready) set_low(&q->used, value); break;
  case R_QUEUE_DEVICE_HIGH: if (q && !q->ready) set_high(&q->used, value); break;
  case R_QUEUE_NOTIFY:
    if (value < d->queues && sim_virtio_live(d) && d->notify) d->notify(d, value);
    break;
  case R_INTERRUPT_ACK:
    d->int_status &= ~value;
    if (!d->int_status) sim_irq_set(d->irq, 0);
    break;
  case R_STATUS:
    if (value == 0) {
      virtio_reset(d);
      break;
    }
    /* FEATURES_OK only for features offered, VERSION_1 among them. */
    if ((value & S_FEATURES_OK) && !(d->status & S_FEATURES_OK) &&
        ((d->driver_features & ~d->features) || !(d->driver_features & F_VERSION_1)))
      value &= ~S_FEATURES_OK;
    d->status = value;
    if ((value & S_DRIVER_OK) && d->notify)
      for (uint32_t i = 0; i < d->queues; i++) d->notify(d, i); /* buffers posted before DRIVER_OK */
    break;
  default: break;
  }
}

int sim_device_modelled(uint64_t phys) {
  return (phys >= SIM_NET_BASE && phys < SIM_NET_BASE + 0x1000) || (phys >= SIM_BLK_BASE && phys < SIM_BLK_BASE + 0x1000);
}

uint64_t sim_devices_mmio(const struct vanity_shard_desc *shard, uint64_t addr, uint64_t value, uint32_t flags) {
  uint32_t width = flags & 0xff;
  int write = (flags & VANITY_SIM_MMIO_WRITE) != 0;
  if (!shard || (width != 1 && width != 2 && width != 4 && width != 8)) return ~0ull;
  uint64_t phys = ~0ull;
  for (uint32_t i = 0; i < shard->region_count; i++) {
    const struct vanity_region *r = &shard->regions[i];
    if ((r->perms & VANITY_PERM_DEVICE) && addr >= r->virt && addr - r->virt < r->size) {
      phys = r->phys + (addr - r->virt);
      break;
    }
  }
  for (unsigned i = 0; i < device_count; i++) {
    struct sim_virtio *d = devices[i];
    if (phys < d->base || phys - d->base >= 0x1000) continue;
    uint32_t off = (uint32_t)(phys - d->base);
    if (off + width > SIM_VIRTIO_SIZE) return write ? 0 : ~0ull;
    pthread_mutex_lock(&sim_dev_lock);
    uint64_t r = 0;
    if (write) virtio_write(d, off, (uint32_t)value, width);
    else r = virtio_read(d, off, width);
    pthread_mutex_unlock(&sim_dev_lock);
    return r;
  }
  return write ? 0 : ~0ull;
}

static int granted(uint64_t base) {
  for (uint32_t s = 0; s < sys->shard_count; s++) {
    const struct vanity_shard_desc *d = &sys->shards[s];
    for (uint32_t i = 0; i < d->region_count; i++) {
      const struct vanity_region *r = &d->regions[i];
      if ((r->perms & VANITY_PERM_DEVICE) && base >= r->phys && base - r->phys < r->size) return 1;
    }
  }
  return 0;
}

static int has_net;

int sim_devices_init(const struct vanity_system *system) {
  sys = system;
  if (granted(SIM_BLK_BASE)) {
    blk_dev = (struct sim_virtio){.name = "block", .base = SIM_BLK_BASE, .irq = SIM_BLK_IRQ};
    const char *disk = getenv(VANITY_SIM_ENV_DISK);
    if (disk && *disk && sim_blk_init(&blk_dev, disk) != 0) return -1;
    devices[device_count++] = &blk_dev;
  }
  if (granted(SIM_NET_BASE)) {
    net_dev = (struct sim_virtio){.name = "net", .base = SIM_NET_BASE, .irq = SIM_NET_IRQ};
    if (sim_net_init(&net_dev, getenv(VANITY_SIM_ENV_FORWARD), !sim_deterministic()) != 0) return -1;
    devices[device_count++] = &net_dev;
    has_net = 1;
  }
  return 0;
}

int sim_devices_external(void) { return has_net; }

int sim_devices_poll(uint64_t timeout_ns) { return has_net ? sim_net_poll(timeout_ns) : 0; }

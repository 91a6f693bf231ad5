/* blk: a virtio 1.x block driver ("modern") over virtio-mmio or PCI
 * (<vanity/virtio.h> picks the transport the grant's device-tree node names).
 *
 * Owns the `block` device grant and the driver area of the DMA region
 * `blk-buffers` (layout and request format: <vanity/blk.h>; design:
 * docs/io.md). One split virtqueue (0: requests) lives in the region. The
 * client's requests come over `blk-req`; each is checked, posted to the
 * device as a chain of three descriptors (header, the client's buffer where
 * it lies, status byte) and answered over `blk-resp` once the device has
 * completed it. A bad request is answered at once with an error status and
 * never reaches the device.
 *
 * Durability: a write is answered when the device has completed it; a flush
 * waits for every write taken before it to complete, then (VIRTIO_BLK_F_FLUSH
 * offered) goes to the device, and is answered when the device has flushed.
 *
 * Polls while there is work and sleeps on the device's interrupt and the
 * request channel when idle, like Shards/net-virtio; the transport and the
 * virtqueue are <vanity/virtio.h>. */
#include <vanity/blk.h>
#include <vanity/vanity.h>
#include <vanity/virtio.h>

#include <string.h>

/* ------------------------------------------------------------ virtio-blk */

#define F_BLK_SIZE_MAX 1u
#define F_BLK_SEG_MAX 2u
#define F_BLK_RO 5u
#define F_BLK_BLK_SIZE 6u
#define F_BLK_FLUSH 9u

/* Config space (virtio 1.x, 5.2.4): the fields this driver reads. */
#define CFG_CAPACITY 0u  /* le64, 512-byte sectors */
#define CFG_SIZE_MAX 8u  /* le32, bytes per segment (F_BLK_SIZE_MAX) */
#define CFG_SEG_MAX 12u  /* le32, segments per request (F_BLK_SEG_MAX) */
#define CFG_BLK_SIZE 20u /* le32 (F_BLK_BLK_SIZE) */

/* The request header the device reads, and its status byte. */
struct virtio_blk_outhdr {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "virtio_blk_outhdr is 16 bytes");
#define T_IN 0u
#define T_OUT 1u
#define T_FLUSH 4u
#define S_OK 0u
#define S_IOERR 1u
#define S_UNSUPP 2u

/* Driver area, offsets from VANITY_BLK_DRIVER_AREA: the queue (three
 * pages), then a header per slot, then a status byte per slot. */
#define AREA_QUEUE 0x0000u
#define AREA_HEADERS 0x3000u
#define AREA_STATUS 0x4000u
#define SLOTS_MAX (VANITY_VIRTQ_MAX / 3) /* a request is a chain of 3 descriptors */
_Static_assert(AREA_HEADERS + SLOTS_MAX * sizeof(struct virtio_blk_outhdr) <= AREA_STATUS, "headers fit");
_Static_assert(AREA_STATUS + SLOTS_MAX <= VANITY_BLK_DRIVER_AREA_SIZE, "the driver area holds queue, headers and status bytes");

#define OWED_MAX 256u          /* requests taken and not yet answered, at most */
#define MAX_REQUEST (1u << 20) /* bytes per request, at most */
#define NO_SLOT 0xffffu

static const struct vanity_device *dev = &vanity_device_block;
static struct vanity_virtio vio = {.who = "blk"};
static uint8_t *region;
static uint32_t started_as; /* this start's generation (vanity_blk_info) */
static uint64_t region_phys, region_size;
static struct vanity_virtq q;
static struct virtio_blk_outhdr *headers;
static volatile uint8_t *statuses;

static uint64_t capacity;
static uint32_t max_sectors, slots, limit;
static int has_flush, read_only;

/* Device slots: the request each carries, which are in the device. */
static struct vanity_blk_req slot_req[SLOTS_MAX];
static uint8_t slot_busy[SLOTS_MAX];
static uint16_t slot_free[SLOTS_MAX], slot_free_count;
static uint32_t writes_in_device;

/* A flush waiting for the writes before it: the driver takes nothing else
 * meanwhile. `held_slot` is NO_SLOT when the device has no flush. */
static int held;
static struct vanity_blk_req held_req;
static uint16_t held_slot;

/* Answers not yet sent (the response ring was full: a client that keeps
 * more requests outstanding than it has response slots). */
static struct vanity_blk_req answers[OWED_MAX];
static uint32_t answers_head, answers_count;
static uint32_t owed; /* taken, not yet answered */

static struct {
  uint64_t reads, read_bytes, writes, write_bytes, flushes;
  uint64_t refused, device_errors, device_bad;
  uint64_t kicks, irqs, sleeps;
} stats;

static void answer(struct vanity_blk_req r, uint32_t status) {
  r.status = status;
  answers[(answers_head + answers_count++) % OWED_MAX] = r;
}

/* Sends what it can of the queued answers. */
static uint32_t send_answers(void) {
  uint32_t sent = 0;
  while (answers_count) {
    uint32_t run = OWED_MAX - answers_head < answers_count ? OWED_MAX - answers_head : answers_count;
    uint32_t n = vanity_try_send_batch(&vanity_channel_blk_resp, &answers[answers_head], run);
    answers_head = (answers_head + n) % OWED_MAX;
    answers_count -= n;
    owed -= n;
    sent += n;
    if (n < run) break;
  }
  return sent;
}

/* Posts the request in `s` (its descriptors filled) to the device. */
static void post(uint16_t s) {
  slot_busy[s] = 1;
  if (slot_req[s].op == VANITY_BLK_WRITE) writes_in_device++;
  vanity_virtq_add(&q, (uint16_t)(3 * s));
  vanity_virtq_publish(&q, 1);
}

/* Fills slot `s`'s header and descriptors for `r` (already checked). */
static void prepare(uint16_t s, const struct vanity_blk_req *r) {
  slot_req[s] = *r;
  statuses[s] = 0xff;
  struct virtq_desc *d = &q.desc[3 * s];
  if (r->op == VANITY_BLK_FLUSH) {
    headers[s] = (struct virtio_blk_outhdr){.type = T_FLUSH};
    d[0].next = (uint16_t)(3 * s + 2);
    return;
  }
  headers[s] = (struct virtio_blk_outhdr){.type = r->op == VANITY_BLK_READ ? T_IN : T_OUT, .sector = r->sector};
  d[0].next = (uint16_t)(3 * s + 1);
  d[1].addr = region_phys + r->offset;
  d[1].len = r->count * VANITY_BLK_SECTOR;
  d[1].flags = (uint16_t)(VIRTQ_DESC_F_NEXT | (r->op == VANITY_BLK_READ ? VIRTQ_DESC_F_WRITE : 0));
}

/* What is wrong with a read or write request, or VANITY_BLK_OK. */
static uint32_t check(const struct vanity_blk_req *r) {
  if (r->op != VANITY_BLK_READ && r->op != VANITY_BLK_WRITE) return VANITY_BLK_E_INVALID;
  if (r->count == 0 || r->count > max_sectors || !vanity_blk_buffer_ok(r->offset, r->count, region_size)) return VANITY_BLK_E_INVALID;
  if (!vanity_blk_range_ok(r->sector, r->count, capacity)) return VANITY_BLK_E_RANGE;
  if (r->op == VANITY_BLK_WRITE && read_only) return VANITY_BLK_E_READONLY;
  return VANITY_BLK_OK;
}

/* A held flush goes on once the writes before it have completed. */
static void release_held(void) {
  if (!held || writes_in_device) return;
  held = 0;
  if (held_slot == NO_SLOT)
    answer(held_req, VANITY_BLK_OK); /* no volatile cache: completed writes are on the disk */
  else
    post(held_slot);
}

/* Takes requests while it has room to answer them and device slots to
 * carry them; stops after a flush that must wait. */
static uint32_t take(void) {
  if (held) return 0;
  uint32_t room = limit - owed;
  if (room > slot_free_count) room = slot_free_count; /* each may need a slot */
  if (room > 32) room = 32;
  if (!room) return 0;
  const void *first;
  uint32_t n = vanity_recv_peek(&vanity_channel_blk_req, &first, room), i = 0;
  while (i < n) {
    struct vanity_blk_req r;
    memcpy(&r, (const uint8_t *)first + (size_t)i * VANITY_BLK_REQ_SIZE, sizeof r); /* once: the client may change the slot */
    i++;
    owed++;
    if (r.status && r.status != started_as) { /* sent to an earlier start of the driver (blk.h) */
      stats.refused++;
      answer(r, VANITY_BLK_E_RESTARTED);
      continue;
    }
    if (r.op == VANITY_BLK_FLUSH) {
      stats.flushes++;
      uint16_t s = NO_SLOT;
      if (has_flush) {
        s = slot_free[--slot_free_count];
        prepare(s, &r);
      }
      if (writes_in_device) { /* a barrier: wait for the writes before it */
        held = 1, held_req = r, held_slot = s;
        break;
      }
      if (s == NO_SLOT)
        answer(r, VANITY_BLK_OK);
      else
        post(s);
      continue;
    }
    uint32_t bad = check(&r);
    if (bad) {
      stats.refused++;
      answer(r, bad);
      continue;
    }
    uint16_t s = slot_free[--slot_free_count];
    prepare(s, &r);
    post(s);
    if (r.op == VANITY_BLK_READ) {
      stats.reads++;
      stats.read_bytes += (uint64_t)r.count * VANITY_BLK_SECTOR;
    } else {
      stats.writes++;
      stats.write_bytes += (uint64_t)r.count * VANITY_BLK_SECTOR;
#ifdef BLK_FAULT_AFTER_WRITES
      /* Tests only (BlockTests, a `defines` entry): the driver's first start
       * traps with this many writes given to the device, some unanswered. */
      if (started_as == 1 && stats.writes == BLK_FAULT_AFTER_WRITES) __builtin_trap();
#endif
    }
  }
  vanity_recv_release(&vanity_channel_blk_req, i);
  return i;
}

/* Completed requests: each used element names its chain's head. */
static uint32_t reap(void) {
  uint32_t n = 0;
  uint16_t idx = vanity_virtq_used_idx(&q);
  struct virtq_used_elem e;
  while (vanity_virtq_next_used(&q, idx, &e)) {
    uint32_t s = e.id / 3;
    if (e.id % 3 || s >= slots || !slot_busy[s]) { /* the device is wrong: nothing to answer */
      stats.device_bad++;
      continue;
    }
    slot_busy[s] = 0;
    uint8_t st = statuses[s];
    uint32_t status = st == S_OK ? VANITY_BLK_OK : st == S_UNSUPP ? VANITY_BLK_E_UNSUPP : VANITY_BLK_E_IO;
    if (status) stats.device_errors++;
    if (slot_req[s].op == VANITY_BLK_WRITE) writes_in_device--;
    answer(slot_req[s], status);
    slot_free[slot_free_count++] = (uint16_t)s;
    n++;
  }
  release_held();
  return n;
}

/* ------------------------------------------------------------ bring-up */

static int device_init(struct vanity_blk_info *info) {
  uint64_t features;
  if (vanity_virtio_probe(&vio, VIRTIO_ID_BLOCK, "a block device", "virtio-blk")) return -1;
  uint64_t optional = (1ull << F_BLK_SIZE_MAX) | (1ull << F_BLK_SEG_MAX) | (1ull << F_BLK_RO) | (1ull << F_BLK_BLK_SIZE) | (1ull << F_BLK_FLUSH);
  if (vanity_virtio_negotiate(&vio, optional, &features)) return -1;
  if (vanity_virtq_setup(&vio, &q, 0, VANITY_VIRTQ_MAX, region + VANITY_BLK_DRIVER_AREA + AREA_QUEUE,
                         region_phys + VANITY_BLK_DRIVER_AREA + AREA_QUEUE)) {
    vanity_virtio_fail(&vio);
    return -1;
  }
  if (q.size < 4) {
    vanity_printf("blk: the queue has %u entries; a request needs 3\n", q.size);
    vanity_virtio_fail(&vio);
    return -1;
  }
  vanity_virtio_config(&vio, CFG_CAPACITY, &capacity, sizeof capacity);
  uint32_t block_size = VANITY_BLK_SECTOR, size_max = 0, seg_max = 0;
  if (features & (1ull << F_BLK_BLK_SIZE)) vanity_virtio_config(&vio, CFG_BLK_SIZE, &block_size, 4);
  if (features & (1ull << F_BLK_SIZE_MAX)) vanity_virtio_config(&vio, CFG_SIZE_MAX, &size_max, 4);
  if (features & (1ull << F_BLK_SEG_MAX)) vanity_virtio_config(&vio, CFG_SEG_MAX, &seg_max, 4);
  if ((features & (1ull << F_BLK_SEG_MAX)) && seg_max == 0) {
    vanity_printf("blk: the device takes no data segments (seg_max 0)\n");
    vanity_virtio_fail(&vio);
    return -1;
  }
  if (block_size < VANITY_BLK_SECTOR || (block_size & (block_size - 1))) block_size = VANITY_BLK_SECTOR;
  has_flush = (features & (1ull << F_BLK_FLUSH)) != 0;
  read_only = (features & (1ull << F_BLK_RO)) != 0;

  /* One data segment per request: as big as size_max, MAX_REQUEST and the
   * data area allow. */
  uint64_t max_bytes = MAX_REQUEST;
  if (size_max && size_max < max_bytes) max_bytes = size_max;
  if (region_size - VANITY_BLK_DATA < max_bytes) max_bytes = region_size - VANITY_BLK_DATA;
  max_sectors = (uint32_t)(max_bytes / VANITY_BLK_SECTOR);
  if (max_sectors == 0) {
    vanity_printf("blk: a request could not move a single sector (size_max %u)\n", size_max);
    vanity_virtio_fail(&vio);
    return -1;
  }

  slots = q.size / 3;
  limit = vanity_channel_blk_resp.slots < OWED_MAX ? vanity_channel_blk_resp.slots : OWED_MAX;
  headers = (struct virtio_blk_outhdr *)(region + VANITY_BLK_DRIVER_AREA + AREA_HEADERS);
  statuses = region + VANITY_BLK_DRIVER_AREA + AREA_STATUS;
  uint64_t hphys = region_phys + VANITY_BLK_DRIVER_AREA + AREA_HEADERS, sphys = region_phys + VANITY_BLK_DRIVER_AREA + AREA_STATUS;
  for (uint32_t s = 0; s < slots; s++) {
    q.desc[3 * s] = (struct virtq_desc){.addr = hphys + s * sizeof(struct virtio_blk_outhdr), .len = sizeof(struct virtio_blk_outhdr),
                                        .flags = VIRTQ_DESC_F_NEXT, .next = (uint16_t)(3 * s + 1)};
    q.desc[3 * s + 1] = (struct virtq_desc){.flags = VIRTQ_DESC_F_NEXT, .next = (uint16_t)(3 * s + 2)};
    q.desc[3 * s + 2] = (struct virtq_desc){.addr = sphys + s, .len = 1, .flags = VIRTQ_DESC_F_WRITE};
    slot_free[slot_free_count++] = (uint16_t)(slots - 1 - s);
  }

  info->capacity = capacity;
  info->block_size = block_size;
  info->max_sectors = max_sectors;
  info->data_offset = VANITY_BLK_DATA;
  info->data_size = (uint32_t)(region_size - VANITY_BLK_DATA);
  info->queue = q.size;
  info->in_flight = slots;
  info->flags = (has_flush ? VANITY_BLK_INFO_FLUSH : 0) | (read_only ? VANITY_BLK_INFO_READONLY : 0);
  return 0;
}

/* ------------------------------------------------------------ waiting */

static void acknowledge_interrupt(uint64_t woke) {
  uint32_t status = vanity_virtio_served(&vio, dev, woke);
  if (status & VIRTIO_INT_CONFIG) {
    uint64_t now;
    vanity_virtio_config(&vio, CFG_CAPACITY, &now, sizeof now);
    if (now != capacity) vanity_printf("blk: the disk now has %lu sectors; still using %lu\n", now, capacity);
  }
  stats.irqs++;
}

#define IDLE_SPINS 2000 /* empty polls before the driver sleeps */

/* A line of counters when the driver goes idle after traffic, at most every
 * few seconds. */
static void report(void) {
  static uint64_t last_requests, last_ns;
  uint64_t requests = stats.reads + stats.writes + stats.flushes + stats.refused;
  if (requests == last_requests) return;
  uint64_t now = (uint64_t)vanity_time_ns();
  if (now - last_ns < 5000000000ull) return;
  last_ns = now;
  last_requests = requests;
  vanity_printf("blk: %lu reads (%lu bytes), %lu writes (%lu bytes), %lu flushes, %lu refused, %lu device errors, %lu bad used "
                "entries; %lu kicks, %lu sleeps, %lu interrupts\n",
                stats.reads, stats.read_bytes, stats.writes, stats.write_bytes, stats.flushes, stats.refused, stats.device_errors,
                stats.device_bad, stats.kicks, stats.sleeps, stats.irqs);
}

int main(void) {
  region = vanity_region_blk_buffers.base;
  region_phys = vanity_region_blk_buffers.phys;
  region_size = vanity_region_blk_buffers.size;
#ifdef VANITY_DEVICE_BLOCK_COMPAT_VANITY_VIRTIO_PCI
  vanity_virtio_pci(&vio, dev->base, VANITY_DEVICE_BLOCK_REG1_ADDR, VANITY_DEVICE_BLOCK_REG1_SIZE);
#else
  vanity_virtio_mmio(&vio, dev->base);
#endif
  struct vanity_blk_info *info = (struct vanity_blk_info *)region;
  if (region_size <= VANITY_BLK_DATA || region_size > 0xffffffffull) {
    vanity_printf("blk: the region blk-buffers has %lu bytes; vanity/blk.h needs more than %u and 32-bit offsets\n", region_size,
                  VANITY_BLK_DATA);
    return 1;
  }
  uint32_t generation = info->generation + 1;
  __atomic_store_n(&info->magic, 0u, __ATOMIC_RELEASE);
  if (device_init(info)) return 1;

  vanity_virtq_interrupts(&q, 0);
  vanity_virtio_mb();
  vanity_virtio_driver_ok(&vio);

  info->generation = started_as = generation;
  __atomic_store_n(&info->magic, VANITY_BLK_INFO_MAGIC, __ATOMIC_RELEASE);
  vanity_printf("blk: virtio-blk at 0x%lx irq %u: %lu sectors (%lu KiB), block size %u, %s%s, queue %u (%u requests in flight), "
                "up to %u sectors per request\n",
                (uint64_t)dev->base, dev->irq, capacity, capacity / 2, info->block_size, has_flush ? "flush" : "no flush (write-through)",
                read_only ? ", read-only" : "", q.size, slots, max_sectors);

  uint32_t idle = 0;
  for (;;) {
    uint32_t work = reap();
    work += send_answers();
    work += take();
    if (vanity_virtq_kick(&vio, &q)) stats.kicks++;
    if (work) {
      idle = 0;
      continue;
    }
    if (++idle < IDLE_SPINS) {
      vanity_arch_pause();
      continue;
    }
    report();
    /* Going to sleep: interrupts on, flag up, then look once more. A full
     * response ring is the client's to drain: the channel library wakes us
     * when it hands slots back (producer_waiting) if we say we wait. */
    vanity_virtq_interrupts(&q, 1);
    vanity_virtio_mb();
    int ready = vanity_virtq_has_used(&q);
    if (!held && owed < limit) ready |= vanity_arm(&vanity_channel_blk_req);
    if (answers_count) {
      __atomic_store_n(&vanity_channel_blk_resp.ring->consumer.producer_waiting, 1u, __ATOMIC_SEQ_CST);
      __atomic_thread_fence(__ATOMIC_SEQ_CST);
      ready |= vanity_channel_blk_resp.slots - (vanity_channel_blk_resp.ring->producer.head -
                                                 __atomic_load_n(&vanity_channel_blk_resp.ring->info.released, __ATOMIC_ACQUIRE)) > 0;
    }
    if (!ready) {
      stats.sleeps++;
      /* A bounded first sleep: a sender's index store still in flight when
       * it read our flag as clear is visible after it (vanity__block). */
      int64_t woke = vanity_virtio_sleep(&vio, VANITY_RACE_WAIT_NS);
      if (!woke && !(vanity_pending(&vanity_channel_blk_req) | vanity_virtq_has_used(&q))) woke = vanity_wait(0);
      if (woke & VANITY_WAKE_IRQ) acknowledge_interrupt((uint64_t)woke);
    }
    vanity_virtq_interrupts(&q, 0);
    vanity_virtio_mb();
    idle = 0;
  }
}

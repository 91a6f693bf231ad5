/* net: a virtio 1.x network driver over virtio-mmio (version 2, "modern").
 *
 * Owns the `net` device grant and the driver area of the DMA region
 * `net-buffers` (layout and descriptor format: <vanity/net.h>; design:
 * docs/io.md). Two split virtqueues (0: receive, 1: transmit) live in the
 * region. Received frames go to the client over `rx` and come back over
 * `rx-free`; the client's frames come over `tx` and go back over `tx-done`
 * once the device has read them.
 *
 * Polls while there is work; when idle for a while it enables the device's
 * used-buffer interrupts, tells its rings it waits, and sleeps in
 * vanity_wait until the device interrupts or the client notifies. No system
 * call per frame: the device is kicked with an MMIO write only when it asks
 * to be (VIRTQ_USED_F_NO_NOTIFY clear), the client is woken only when it
 * sleeps (the channel library). */
#include <vanity/net.h>
#include <vanity/vanity.h>

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ virtio-mmio */

enum {
  R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
  R_DEVICE_FEATURES = 0x010, R_DEVICE_FEATURES_SEL = 0x014,
  R_DRIVER_FEATURES = 0x020, R_DRIVER_FEATURES_SEL = 0x024,
  R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044,
  R_QUEUE_NOTIFY = 0x050, R_INTERRUPT_STATUS = 0x060, R_INTERRUPT_ACK = 0x064, R_STATUS = 0x070,
  R_QUEUE_DESC_LOW = 0x080, R_QUEUE_DESC_HIGH = 0x084, R_QUEUE_DRIVER_LOW = 0x090, R_QUEUE_DRIVER_HIGH = 0x094,
  R_QUEUE_DEVICE_LOW = 0x0a0, R_QUEUE_DEVICE_HIGH = 0x0a4, R_CONFIG_GENERATION = 0x0fc, R_CONFIG = 0x100,
};
#define VIRTIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_ID_NET 1u
enum { S_ACKNOWLEDGE = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_NEEDS_RESET = 64, S_FAILED = 128 };
#define F_NET_MAC 5u
#define F_VERSION_1 32u

/* Split virtqueues (virtio 1.x, 2.7). */
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

/* The header in front of every frame (VERSION_1: num_buffers included). */
struct virtio_net_hdr {
  uint8_t flags, gso_type;
  uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
#define NET_HDR 12u
_Static_assert(sizeof(struct virtio_net_hdr) == NET_HDR, "virtio_net_hdr is 12 bytes");
_Static_assert(VANITY_NET_RX_FRAME_OFFSET >= NET_HDR, "room for the header before a received frame");

#define QUEUE_MAX 256u /* per queue; QEMU offers 256 */
#define NO_BUF 0xffffffffu

struct queue {
  uint32_t index;              /* 0 receive, 1 transmit */
  uint32_t size;               /* a power of two */
  struct virtq_desc *desc;
  struct virtq_avail *avail;
  struct virtq_used *used;
  uint16_t avail_idx;          /* next avail slot we fill */
  uint16_t used_seen;          /* next used slot we read */
  uint16_t pending_kick;       /* avail entries published since the last kick */
};

/* Driver area, offsets from VANITY_NET_DRIVER_AREA: each queue's three parts
 * get a page (QUEUE_MAX entries fit), then the shared transmit header. */
#define AREA_RX 0x0000u
#define AREA_TX 0x3000u
#define AREA_TX_HDR 0x6000u
_Static_assert(AREA_TX_HDR + NET_HDR <= VANITY_NET_DRIVER_AREA_SIZE, "the driver area holds the queues");

static const struct vanity_device *dev = &vanity_device_net;
static uint8_t *region;
static uint64_t region_phys;
static struct queue rxq, txq;

/* Receive: which rx buffer each descriptor holds, and the rx buffers not
 * posted to the device nor lent to the client. */
static uint32_t rx_desc_buf[QUEUE_MAX];
static uint16_t rx_desc_free[QUEUE_MAX], rx_desc_free_count;
static uint32_t rx_free[VANITY_NET_RX_BUFS], rx_free_count;
static uint8_t rx_lent[VANITY_NET_RX_BUFS]; /* 1 while the client has it */
/* Transmit: descriptor pairs (2i: the header, 2i+1: the frame); the free
 * pairs, and the client's descriptor each pair carries. */
static uint32_t tx_pair_free[QUEUE_MAX / 2], tx_pair_free_count;
static struct vanity_net_desc tx_pair_desc[QUEUE_MAX / 2];

static struct {
  uint64_t rx_frames, rx_bytes, rx_bad, rx_client_errors;
  uint64_t tx_frames, tx_bytes, tx_refused;
  uint64_t kicks, irqs, sleeps;
} stats;

static uint32_t reg(uint32_t off) { return vanity_mmio_read32(dev->base + off); }
static void reg_write(uint32_t off, uint32_t v) { vanity_mmio_write32(dev->base + off, v); }

/* Orders our stores to queue memory before the device may see what follows
 * (an index, a kick), and our loads after reading an index. The device is
 * another agent in the coherent domain under QEMU (docs/io.md). */
static inline void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

static uint16_t used_idx(const struct queue *q) { return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE); }

static void publish(struct queue *q, uint16_t n) {
  if (!n) return;
  __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
  q->pending_kick += n;
}

/* Kicks the device for `q` if it has new buffers and wants to hear of them. */
static void kick(struct queue *q) {
  if (!q->pending_kick) return;
  barrier(); /* avail->idx is visible before we read the device's flag */
  q->pending_kick = 0;
  if (!(__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & VIRTQ_USED_F_NO_NOTIFY)) {
    reg_write(R_QUEUE_NOTIFY, q->index);
    stats.kicks++;
  }
}

static void interrupts(int on) {
  uint16_t f = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
  __atomic_store_n(&rxq.avail->flags, f, __ATOMIC_RELAXED);
  __atomic_store_n(&txq.avail->flags, f, __ATOMIC_RELAXED);
  barrier();
}

static int setup_queue(struct queue *q, uint32_t index, uint32_t area) {
  reg_write(R_QUEUE_SEL, index);
  if (reg(R_QUEUE_READY)) {
    vanity_printf("net: queue %u is already in use after a reset\n", index);
    return -1;
  }
  uint32_t max = reg(R_QUEUE_NUM_MAX);
  if (max == 0) {
    vanity_printf("net: the device has no queue %u\n", index);
    return -1;
  }
  uint32_t size = QUEUE_MAX;
  while (size > max) size >>= 1;
  if (size < 2) {
    vanity_printf("net: queue %u is too small (%u entries)\n", index, max);
    return -1;
  }
  uint32_t off = VANITY_NET_DRIVER_AREA + area;
  memset(region + off, 0, 0x3000);
  q->index = index;
  q->size = size;
  q->desc = (struct virtq_desc *)(region + off);
  q->avail = (struct virtq_avail *)(region + off + 0x1000);
  q->used = (struct virtq_used *)(region + off + 0x2000);
  q->avail_idx = q->used_seen = q->pending_kick = 0;
  uint64_t d = region_phys + off, a = d + 0x1000, u = d + 0x2000;
  reg_write(R_QUEUE_NUM, size);
  reg_write(R_QUEUE_DESC_LOW, (uint32_t)d);
  reg_write(R_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
  reg_write(R_QUEUE_DRIVER_LOW, (uint32_t)a);
  reg_write(R_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
  reg_write(R_QUEUE_DEVICE_LOW, (uint32_t)u);
  reg_write(R_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
  reg_write(R_QUEUE_READY, 1);
  return 0;
}

/* Resets the device and brings it up: 1.x only, MAC if offered, no offloads. */
static int device_init(struct vanity_net_info *info) {
  uint32_t magic = reg(R_MAGIC), version = reg(R_VERSION), id = reg(R_DEVICE_ID);
  if (magic != VIRTIO_MAGIC) {
    vanity_printf("net: no virtio-mmio transport at 0x%lx (magic 0x%x)\n", (uint64_t)dev->base, magic);
    return -1;
  }
  if (version == 1) {
    vanity_printf("net: the virtio-mmio transport at 0x%lx is legacy (version 1); this driver needs virtio 1.x "
                  "(version 2): start QEMU with -global virtio-mmio.force-legacy=false\n",
                  (uint64_t)dev->base);
    return -1;
  }
  if (version != 2) {
    vanity_printf("net: the virtio-mmio transport at 0x%lx has unknown version %u\n", (uint64_t)dev->base, version);
    return -1;
  }
  if (id != VIRTIO_ID_NET) {
    if (id == 0)
      vanity_printf("net: no device on the virtio-mmio transport at 0x%lx (attach a virtio-net-device to it)\n", (uint64_t)dev->base);
    else
      vanity_printf("net: the device at 0x%lx is virtio device %u, not a network card (1)\n", (uint64_t)dev->base, id);
    return -1;
  }
  reg_write(R_STATUS, 0);
  while (reg(R_STATUS) != 0) vanity_arch_pause();
  reg_write(R_STATUS, S_ACKNOWLEDGE);
  reg_write(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);

  reg_write(R_DEVICE_FEATURES_SEL, 0);
  uint64_t offered = reg(R_DEVICE_FEATURES);
  reg_write(R_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t)reg(R_DEVICE_FEATURES) << 32;
  if (!(offered & (1ull << F_VERSION_1))) {
    vanity_printf("net: the device does not offer VIRTIO_F_VERSION_1 (features 0x%lx)\n", offered);
    reg_write(R_STATUS, S_FAILED);
    return -1;
  }
  uint64_t wanted = (1ull << F_VERSION_1) | (offered & (1ull << F_NET_MAC));
  reg_write(R_DRIVER_FEATURES_SEL, 0);
  reg_write(R_DRIVER_FEATURES, (uint32_t)wanted);
  reg_write(R_DRIVER_FEATURES_SEL, 1);
  reg_write(R_DRIVER_FEATURES, (uint32_t)(wanted >> 32));
  reg_write(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
  if (!(reg(R_STATUS) & S_FEATURES_OK)) {
    vanity_printf("net: the device refused features 0x%lx\n", wanted);
    reg_write(R_STATUS, S_FAILED);
    return -1;
  }
  if (setup_queue(&rxq, 0, AREA_RX) || setup_queue(&txq, 1, AREA_TX)) {
    reg_write(R_STATUS, S_FAILED);
    return -1;
  }

  if (wanted & (1ull << F_NET_MAC)) {
    uint32_t gen;
    do {
      gen = reg(R_CONFIG_GENERATION);
      for (int i = 0; i < 6; i++) info->mac[i] = *(volatile uint8_t *)(dev->base + R_CONFIG + i);
    } while (gen != reg(R_CONFIG_GENERATION));
  } else {
    static const uint8_t fallback[6] = {0x52, 0x54, 0x00, 0x56, 0x4e, 0x01}; /* locally administered */
    memcpy(info->mac, fallback, 6);
  }
  info->mtu = VANITY_NET_MTU;
  info->rx_queue = rxq.size;
  info->tx_queue = txq.size;
  return 0;
}

/* ------------------------------------------------------------ receive */

static void rx_post(void) {
  uint16_t n = 0;
  while (rx_free_count && rx_desc_free_count) {
    uint32_t buf = rx_free[--rx_free_count];
    uint16_t slot = rx_desc_free[--rx_desc_free_count];
    uint32_t off = vanity_net_rx_buffer(buf) + VANITY_NET_RX_FRAME_OFFSET - NET_HDR;
    rxq.desc[slot] = (struct virtq_desc){
        .addr = vanity_net_phys(region_phys, off), .len = VANITY_NET_BUF_SIZE - (VANITY_NET_RX_FRAME_OFFSET - NET_HDR), .flags = VIRTQ_DESC_F_WRITE};
    rx_desc_buf[slot] = buf;
    rxq.avail->ring[rxq.avail_idx & (rxq.size - 1)] = slot;
    rxq.avail_idx++;
    n++;
  }
  publish(&rxq, n);
}

/* Used elements name their descriptor; each descriptor holds one rx buffer
 * (rx_desc_buf) and goes back to the free descriptors once used. */
static uint32_t rx_reap(void) {
  struct vanity_net_desc out[32];
  uint32_t done = 0;
  uint16_t idx = used_idx(&rxq);
  while (rxq.used_seen != idx) {
    uint32_t n = 0;
    while (rxq.used_seen != idx && n < 32) {
      struct virtq_used_elem e = rxq.used->ring[rxq.used_seen & (rxq.size - 1)];
      rxq.used_seen++;
      if (e.id >= rxq.size || rx_desc_buf[e.id] == NO_BUF) { /* the device is wrong: nothing to give back */
        stats.rx_bad++;
        continue;
      }
      uint32_t buf = rx_desc_buf[e.id];
      rx_desc_buf[e.id] = NO_BUF;
      rx_desc_free[rx_desc_free_count++] = (uint16_t)e.id;
      if (e.len < NET_HDR + VANITY_NET_FRAME_MIN || e.len > NET_HDR + VANITY_NET_FRAME_MAX) {
        stats.rx_bad++; /* runt or oversized: back to the device */
        rx_free[rx_free_count++] = buf;
        continue;
      }
      out[n++] = (struct vanity_net_desc){.offset = vanity_net_rx_buffer(buf) + VANITY_NET_RX_FRAME_OFFSET, .length = e.len - NET_HDR, .cookie = buf};
      rx_lent[buf] = 1;
      stats.rx_frames++;
      stats.rx_bytes += e.len - NET_HDR;
    }
    uint32_t sent = vanity_try_send_batch(&vanity_channel_rx, out, n);
    for (uint32_t i = sent; i < n; i++) { /* cannot happen (slots ≥ buffers); drop */
      rx_lent[out[i].cookie] = 0;
      rx_free[rx_free_count++] = out[i].cookie;
      stats.rx_bad++;
    }
    done += n;
  }
  return done;
}

static uint32_t rx_returns(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_rx_free, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (vanity_net_buffer(in[i].offset, 0, &buf) != VANITY_NET_POOL_RX || !rx_lent[buf]) {
      stats.rx_client_errors++; /* not ours, or not lent: ignored */
      continue;
    }
    rx_lent[buf] = 0;
    rx_free[rx_free_count++] = buf;
  }
  return n;
}

/* ------------------------------------------------------------ transmit */

static uint32_t tx_take(void) {
  struct vanity_net_desc in[32], refused[32];
  uint32_t want = tx_pair_free_count < 32 ? tx_pair_free_count : 32;
  if (!want) return 0;
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx, in, want), r = 0;
  uint16_t posted = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (vanity_net_buffer(in[i].offset, in[i].length, &buf) != VANITY_NET_POOL_TX || in[i].length < VANITY_NET_FRAME_MIN ||
        in[i].length > VANITY_NET_FRAME_MAX) {
      stats.tx_refused++;
      refused[r] = in[i];
      refused[r++].flags = VANITY_NET_F_REFUSED;
      continue;
    }
    uint32_t pair = tx_pair_free[--tx_pair_free_count];
    tx_pair_desc[pair] = in[i];
    txq.desc[2 * pair + 1].addr = vanity_net_phys(region_phys, in[i].offset);
    txq.desc[2 * pair + 1].len = in[i].length;
    txq.avail->ring[txq.avail_idx & (txq.size - 1)] = (uint16_t)(2 * pair);
    txq.avail_idx++;
    posted++;
    stats.tx_frames++;
    stats.tx_bytes += in[i].length;
  }
  publish(&txq, posted);
  if (r) vanity_try_send_batch(&vanity_channel_tx_done, refused, r); /* room: slots ≥ tx buffers */
  return n;
}

static uint32_t tx_reap(void) {
  struct vanity_net_desc out[32];
  uint32_t n = 0;
  uint16_t idx = used_idx(&txq);
  while (txq.used_seen != idx && n < 32) {
    struct virtq_used_elem e = txq.used->ring[txq.used_seen & (txq.size - 1)];
    txq.used_seen++;
    uint32_t pair = e.id / 2;
    if (e.id % 2 || pair >= txq.size / 2) continue; /* the device is wrong */
    out[n++] = tx_pair_desc[pair];
    tx_pair_free[tx_pair_free_count++] = pair;
  }
  if (n) vanity_try_send_batch(&vanity_channel_tx_done, out, n);
  return n;
}

/* ------------------------------------------------------------ waiting */

/* Says on a receiving ring that we are about to sleep, so the sender
 * notifies; returns whether a message is there already. */
static int arm(const struct vanity_channel *ch) {
  __atomic_store_n(&ch->ring->producer.consumer_waiting, 1u, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return vanity_pending(ch) != 0;
}

static int device_has_work(void) { return used_idx(&rxq) != rxq.used_seen || used_idx(&txq) != txq.used_seen; }

static void acknowledge_interrupt(void) {
  uint32_t status = reg(R_INTERRUPT_STATUS);
  if (status) reg_write(R_INTERRUPT_ACK, status);
  if (status & 2) {
    uint32_t s = reg(R_STATUS);
    if (s & S_NEEDS_RESET) vanity_printf("net: the device needs a reset (status 0x%x); not handled yet\n", s);
  }
  vanity_irq_ack(dev->irq);
  stats.irqs++;
}

#define IDLE_SPINS 2000 /* empty polls before the driver sleeps */

/* A line of counters when the driver goes idle after traffic, at most every
 * few seconds: what it did, and what it cost in kernel entries (sleeps and
 * interrupt acknowledgements; kicks are MMIO writes to the device). */
static void report(void) {
  static uint64_t last_frames, last_ns;
  uint64_t frames = stats.rx_frames + stats.tx_frames;
  if (frames == last_frames) return;
  uint64_t now = (uint64_t)vanity_time_ns();
  if (now - last_ns < 5000000000ull) return;
  last_ns = now;
  last_frames = frames;
  vanity_printf("net: rx %lu frames (%lu bytes, %lu bad, %lu bad returns), tx %lu frames (%lu bytes, %lu refused); %lu kicks, "
                "%lu sleeps, %lu interrupts\n",
                stats.rx_frames, stats.rx_bytes, stats.rx_bad, stats.rx_client_errors, stats.tx_frames, stats.tx_bytes, stats.tx_refused,
                stats.kicks, stats.sleeps, stats.irqs);
}

int main(void) {
  region = vanity_region_net_buffers.base;
  region_phys = vanity_region_net_buffers.phys;
  struct vanity_net_info *info = (struct vanity_net_info *)region;
  if (vanity_region_net_buffers.size < VANITY_NET_REGION_SIZE) {
    vanity_printf("net: the region net-buffers has %lu bytes, vanity/net.h needs %u\n", vanity_region_net_buffers.size, VANITY_NET_REGION_SIZE);
    return 1;
  }
  uint32_t generation = info->generation + 1;
  __atomic_store_n(&info->magic, 0u, __ATOMIC_RELEASE);
  if (device_init(info)) return 1;

  for (uint32_t i = 0; i < VANITY_NET_RX_BUFS; i++) rx_free[rx_free_count++] = VANITY_NET_RX_BUFS - 1 - i;
  for (uint32_t d = 0; d < rxq.size; d++) {
    rx_desc_buf[d] = NO_BUF;
    rx_desc_free[rx_desc_free_count++] = (uint16_t)(rxq.size - 1 - d);
  }
  /* Every transmit pair starts with the one header, all zero: no offloads. */
  memset(region + VANITY_NET_DRIVER_AREA + AREA_TX_HDR, 0, NET_HDR);
  for (uint32_t p = 0; p < txq.size / 2; p++) {
    txq.desc[2 * p] = (struct virtq_desc){.addr = vanity_net_phys(region_phys, VANITY_NET_DRIVER_AREA + AREA_TX_HDR),
                                          .len = NET_HDR, .flags = VIRTQ_DESC_F_NEXT, .next = (uint16_t)(2 * p + 1)};
    txq.desc[2 * p + 1].flags = 0;
    tx_pair_free[tx_pair_free_count++] = txq.size / 2 - 1 - p;
  }
  rx_post();
  interrupts(0);
  reg_write(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  kick(&rxq);

  info->generation = generation;
  __atomic_store_n(&info->magic, VANITY_NET_INFO_MAGIC, __ATOMIC_RELEASE);
  vanity_printf("net: virtio-net at 0x%lx irq %u: mac %02x:%02x:%02x:%02x:%02x:%02x, rx queue %u, tx queue %u (%u frames in flight)\n",
                (uint64_t)dev->base, dev->irq, info->mac[0], info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5],
                rxq.size, txq.size, txq.size / 2);

  uint32_t idle = 0;
  for (;;) {
    uint32_t work = rx_reap();
    work += rx_returns();
    rx_post();
    kick(&rxq);
    work += tx_take();
    kick(&txq);
    work += tx_reap();
    if (work) {
      idle = 0;
      continue;
    }
    if (++idle < IDLE_SPINS) {
      vanity_arch_pause();
      continue;
    }
    report();
    /* Going to sleep: interrupts on, flags up, then look once more. */
    interrupts(1);
    int ready = arm(&vanity_channel_rx_free) | arm(&vanity_channel_tx) | device_has_work();
    if (!ready) {
      stats.sleeps++;
      /* A bounded first sleep: a sender's index store still in flight when
       * it read our flag as clear is visible after it (vanity__block). */
      int64_t woke = vanity_wait(VANITY_RACE_WAIT_NS);
      if (!woke && !(vanity_pending(&vanity_channel_rx_free) | vanity_pending(&vanity_channel_tx) | device_has_work()))
        woke = vanity_wait(0);
      if (woke & VANITY_WAKE_IRQ) acknowledge_interrupt();
    }
    interrupts(0);
    idle = 0;
  }
}

/* net: a virtio 1.x network driver ("modern") over virtio-mmio or PCI
 * (<vanity/virtio.h> picks the transport the grant's device-tree node names).
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
 * sleeps (the channel library). The virtio-mmio transport and the split
 * virtqueues are <vanity/virtio.h>, shared with Shards/blk-virtio. */
#include <vanity/net.h>
#include <vanity/vanity.h>
#include <vanity/virtio.h>

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ virtio-net */

#define F_NET_MAC 5u

/* The header in front of every frame (VERSION_1: num_buffers included). */
struct virtio_net_hdr {
  uint8_t flags, gso_type;
  uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
#define NET_HDR 12u
_Static_assert(sizeof(struct virtio_net_hdr) == NET_HDR, "virtio_net_hdr is 12 bytes");
_Static_assert(VANITY_NET_RX_FRAME_OFFSET >= NET_HDR, "room for the header before a received frame");

#define QUEUE_MAX VANITY_VIRTQ_MAX /* per queue; QEMU offers 256 */
#define NO_BUF 0xffffffffu

/* Driver area, offsets from VANITY_NET_DRIVER_AREA: each queue's three parts
 * get a page (QUEUE_MAX entries fit), then the shared transmit header. */
#define AREA_RX 0x0000u
#define AREA_TX 0x3000u
#define AREA_TX_HDR 0x6000u
_Static_assert(AREA_TX_HDR + NET_HDR <= VANITY_NET_DRIVER_AREA_SIZE, "the driver area holds the queues");

static const struct vanity_device *dev = &vanity_device_net;
static struct vanity_virtio vio = {.who = "net"};
static uint8_t *region;
static uint64_t region_phys;
static struct vanity_virtq rxq, txq;

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

static void kick(struct vanity_virtq *q) {
  if (vanity_virtq_kick(&vio, q)) stats.kicks++;
}

static void interrupts(int on) {
  vanity_virtq_interrupts(&rxq, on);
  vanity_virtq_interrupts(&txq, on);
  vanity_virtio_mb();
}

/* Resets the device and brings it up: 1.x only, MAC if offered, no offloads. */
static int device_init(struct vanity_net_info *info) {
  uint64_t features;
  if (vanity_virtio_probe(&vio, VIRTIO_ID_NET, "a network card", "virtio-net")) return -1;
  if (vanity_virtio_negotiate(&vio, 1ull << F_NET_MAC, &features)) return -1;
  if (vanity_virtq_setup(&vio, &rxq, 0, QUEUE_MAX, region + VANITY_NET_DRIVER_AREA + AREA_RX, region_phys + VANITY_NET_DRIVER_AREA + AREA_RX) ||
      vanity_virtq_setup(&vio, &txq, 1, QUEUE_MAX, region + VANITY_NET_DRIVER_AREA + AREA_TX, region_phys + VANITY_NET_DRIVER_AREA + AREA_TX)) {
    vanity_virtio_fail(&vio);
    return -1;
  }
  if (features & (1ull << F_NET_MAC)) {
    vanity_virtio_config(&vio, 0, info->mac, 6);
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
    vanity_virtq_add(&rxq, slot);
    n++;
  }
  vanity_virtq_publish(&rxq, n);
}

/* Used elements name their descriptor; each descriptor holds one rx buffer
 * (rx_desc_buf) and goes back to the free descriptors once used. */
static uint32_t rx_reap(void) {
  struct vanity_net_desc out[32];
  uint32_t done = 0;
  uint16_t idx = vanity_virtq_used_idx(&rxq);
  while (rxq.used_seen != idx) {
    uint32_t n = 0;
    struct virtq_used_elem e;
    while (n < 32 && vanity_virtq_next_used(&rxq, idx, &e)) {
      if (e.id >= rxq.size || rx_desc_buf[e.id] == NO_BUF) { /* the device is wrong: nothing to give back */
        stats.rx_bad++;
        continue;
      }
      uint32_t buf = rx_desc_buf[e.id];
      rx_desc_buf[e.id] = NO_BUF;
      rx_desc_free[rx_desc_free_count++] = (uint16_t)e.id;
      if (e.len < NET_HDR + VANITY_NET_FRAME_MIN || e.len > NET_HDR + VANITY_NET_FRAME_MAX) {
        /* runt or oversized: back to the device (the first one logged) */
        if (!stats.rx_bad++) vanity_printf("net: dropped a frame of %u bytes (runt or oversized); counted in \"bad\"\n", e.len - NET_HDR);
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

/* The restart protocol (vanity/net.h): answers owed to the client's SYNCs. */
static struct {
  int rx_ack, tx_wait, tx_ack; /* an rx answer to send; tx: waiting for the device, an answer to send */
  uint32_t rx_cookie, tx_cookie;
  uint64_t syncs;
} proto;

/* A SYNC on rx-free: every buffer lent to the client that it says it does
 * not hold is ours again. (At start every buffer counts as lent: the client
 * of an earlier run of this driver may hold any of them.) */
static void rx_sync(uint32_t cookie) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
  uint32_t reclaimed = 0;
  for (uint32_t b = 0; b < VANITY_NET_RX_BUFS; b++) {
    uint32_t held = __atomic_load_n(&info->rx_held[b / 32], __ATOMIC_RELAXED) >> (b % 32) & 1u;
    if (rx_lent[b] && !held) {
      rx_lent[b] = 0;
      rx_free[rx_free_count++] = b;
      reclaimed++;
    }
  }
  proto.rx_ack = 1;
  proto.rx_cookie = cookie;
  proto.syncs++;
  (void)reclaimed;
}

/* Sends the answers that are due; returns how many went out. */
static uint32_t sync_answers(void) {
  uint32_t n = 0;
  if (proto.rx_ack) {
    struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = proto.rx_cookie};
    if (vanity_try_send(&vanity_channel_rx, &d)) proto.rx_ack = 0, n++;
  }
  if (proto.tx_wait && tx_pair_free_count == txq.size / 2) proto.tx_wait = 0, proto.tx_ack = 1;
  if (proto.tx_ack) {
    struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = proto.tx_cookie};
    if (vanity_try_send(&vanity_channel_tx_done, &d)) proto.tx_ack = 0, n++;
  }
  return n;
}

static uint32_t rx_returns(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_rx_free, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      rx_sync(in[i].cookie);
      continue;
    }
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
  if (!want || proto.tx_wait || proto.tx_ack) return 0; /* after a SYNC: nothing until it is answered */
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx, in, want), r = 0;
  uint16_t posted = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) { /* answered once the device has given back every frame */
      proto.tx_wait = 1;
      proto.tx_cookie = in[i].cookie;
      continue;
    }
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
    vanity_virtq_add(&txq, (uint16_t)(2 * pair));
    posted++;
    stats.tx_frames++;
    stats.tx_bytes += in[i].length;
  }
  vanity_virtq_publish(&txq, posted);
  if (r) vanity_try_send_batch(&vanity_channel_tx_done, refused, r); /* room: slots ≥ tx buffers */
  return n;
}

static uint32_t tx_reap(void) {
  struct vanity_net_desc out[32];
  uint32_t n = 0;
  uint16_t idx = vanity_virtq_used_idx(&txq);
  struct virtq_used_elem e;
  while (n < 32 && vanity_virtq_next_used(&txq, idx, &e)) {
    uint32_t pair = e.id / 2;
    if (e.id % 2 || pair >= txq.size / 2) continue; /* the device is wrong */
    out[n++] = tx_pair_desc[pair];
    tx_pair_free[tx_pair_free_count++] = pair;
  }
  if (n) vanity_try_send_batch(&vanity_channel_tx_done, out, n);
  return n;
}

/* ------------------------------------------------------------ waiting */

static int device_has_work(void) { return vanity_virtq_has_used(&rxq) || vanity_virtq_has_used(&txq); }

static void acknowledge_interrupt(uint64_t woke) {
  vanity_virtio_served(&vio, dev, woke);
  stats.irqs++;
}

/* A line of counters when the driver goes idle after traffic, at most every
 * few seconds: what it did, and what it cost in kernel entries (sleeps,
 * each acknowledging the interrupts it served, and the interrupts
 * themselves; kicks are MMIO writes to the device). */
static void report(void) {
  static uint64_t last_frames, last_ns;
  uint64_t frames = stats.rx_frames + stats.tx_frames;
  if (frames == last_frames) return;
  uint64_t now = (uint64_t)vanity_time_ns();
  if (last_ns && now - last_ns < 5000000000ull) return; /* the first idle after traffic reports at once */
  last_ns = now;
  last_frames = frames;
  vanity_printf("net: rx %lu frames (%lu bytes, %lu bad, %lu bad returns), tx %lu frames (%lu bytes, %lu refused); %lu kicks, "
                "%lu sleeps, %lu interrupts; %lu syncs\n",
                stats.rx_frames, stats.rx_bytes, stats.rx_bad, stats.rx_client_errors, stats.tx_frames, stats.tx_bytes, stats.tx_refused,
                stats.kicks, stats.sleeps, stats.irqs, proto.syncs);
}

int main(void) {
  region = vanity_region_net_buffers.base;
  region_phys = vanity_region_net_buffers.phys;
#ifdef VANITY_DEVICE_NET_COMPAT_VANITY_VIRTIO_PCI
  vanity_virtio_pci(&vio, dev->base, VANITY_DEVICE_NET_REG1_ADDR, VANITY_DEVICE_NET_REG1_SIZE);
#else
  vanity_virtio_mmio(&vio, dev->base);
#endif
  struct vanity_net_info *info = (struct vanity_net_info *)region;
  if (vanity_region_net_buffers.size < VANITY_NET_REGION_SIZE) {
    vanity_printf("net: the region net-buffers has %lu bytes, vanity/net.h needs %u\n", vanity_region_net_buffers.size, VANITY_NET_REGION_SIZE);
    return 1;
  }
  uint32_t generation = info->generation + 1;
  __atomic_store_n(&info->magic, 0u, __ATOMIC_RELEASE);
  if (device_init(info)) return 1;

  /* Every rx buffer counts as the client's until its first SYNC says which
   * it holds (it may hold some from an earlier run of this driver); one it
   * gives back before that is ours at once. */
  for (uint32_t i = 0; i < VANITY_NET_RX_BUFS; i++) rx_lent[i] = 1;
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
  vanity_virtio_driver_ok(&vio);
  kick(&rxq);

  info->generation = generation;
  __atomic_store_n(&info->magic, VANITY_NET_INFO_MAGIC, __ATOMIC_RELEASE);
  vanity_printf("net: virtio-net at 0x%lx irq %u: mac %02x:%02x:%02x:%02x:%02x:%02x, rx queue %u, tx queue %u (%u frames in flight)\n",
                (uint64_t)dev->base, dev->irq, info->mac[0], info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5],
                rxq.size, txq.size, txq.size / 2);

  uint64_t busy_at = vanity_cycles(); /* when work was last seen */
  for (;;) {
    uint32_t work = rx_reap();
    work += rx_returns();
    rx_post();
    kick(&rxq);
    work += tx_take();
    kick(&txq);
    work += tx_reap();
    work += sync_answers();
    if (work || proto.rx_ack || proto.tx_wait || proto.tx_ack) {
      busy_at = vanity_cycles();
      continue;
    }
    if (vanity_keep_polling(busy_at)) {
      vanity_arch_pause();
      continue;
    }
    /* Going to sleep: interrupts on, flags up, then look once more. */
    interrupts(1);
    int ready = vanity_arm(&vanity_channel_rx_free) | vanity_arm(&vanity_channel_tx) | device_has_work();
    if (!ready) {
      stats.sleeps++;
      /* A bounded first sleep: a sender's index store still in flight when
       * it read our flag as clear is visible after it (vanity__block). */
      int64_t woke = vanity_virtio_sleep(&vio, VANITY_RACE_WAIT_NS);
      if (!woke && !(vanity_pending(&vanity_channel_rx_free) | vanity_pending(&vanity_channel_tx) | device_has_work())) {
        /* Idle for a millisecond: the counters (which read the clock, a
         * kernel entry, so not on every short sleep under traffic). */
        report();
        woke = vanity_wait(0);
      }
      if (woke & VANITY_WAKE_IRQ) acknowledge_interrupt((uint64_t)woke);
    }
    interrupts(0);
    busy_at = vanity_cycles();
  }
}

/* Network buffer handoff between shards: the one definition shared by the
 * network driver (Shards/net-virtio) and its clients (Shards/echo), and by
 * the rx/tx virtualisers that will sit between them (docs/io.md).
 *
 * Frames never travel through channels. They live in one shared DMA region
 * ([regions.<name>] with dma = true, mapped into every shard on the path);
 * channels carry `struct vanity_net_desc`: an offset into that region and a
 * length. Handing a descriptor over hands the buffer over: the sender does
 * not touch the buffer again until a descriptor for it comes back.
 *
 * Four channels join a driver and a client (msg-size VANITY_NET_DESC_SIZE):
 *
 *   driver --rx------> client   received frames (driver's rx buffers, lent)
 *   client --rx-free-> driver   rx buffers given back once consumed
 *   client --tx------> driver   frames to send (client's tx buffers, lent)
 *   driver --tx-done-> client   tx buffers given back once sent (or refused)
 *
 * Each channel has at least as many slots as the pool its buffers come from,
 * so a send on it never finds the ring full: the sender owns every buffer it
 * could describe, and each is described at most once at a time.
 *
 * Region layout (offsets from the region's start; VANITY_NET_REGION_SIZE is
 * the least size the region may have):
 *
 *   0                         struct vanity_net_info (the driver writes it)
 *   VANITY_NET_DRIVER_AREA    the driver's private area: virtqueues, headers
 *   VANITY_NET_RX_POOL        VANITY_NET_RX_BUFS rx buffers of VANITY_NET_BUF_SIZE
 *   VANITY_NET_TX_POOL        VANITY_NET_TX_BUFS tx buffers of VANITY_NET_BUF_SIZE
 *
 * Buffer i of a pool is at pool + i * VANITY_NET_BUF_SIZE. A descriptor's
 * frame [offset, offset + length) lies within one buffer of one pool; the
 * receiving side checks that (vanity_net_buffer) and counts and refuses
 * anything else, never trusting its peer. */
#ifndef VANITY_NET_H
#define VANITY_NET_H

#include <stdint.h>

/* ------------------------------------------------------------ descriptors */

/* One buffer handed over. 16 bytes: the channels' msg-size. */
struct vanity_net_desc {
  uint32_t offset; /* first byte of the frame, from the DMA region's start */
  uint32_t length; /* bytes of the frame (rx, tx); ignored on rx-free */
  uint32_t flags;  /* VANITY_NET_F_*: 0 for a good frame */
  uint32_t cookie; /* the buffer owner's own tag, returned unchanged */
};

#define VANITY_NET_DESC_SIZE 16u
_Static_assert(sizeof(struct vanity_net_desc) == VANITY_NET_DESC_SIZE, "vanity_net_desc is one 16-byte message");

/* tx-done: the driver refused the frame (bad offset or length); the buffer
 * is back with its owner all the same, unsent. */
#define VANITY_NET_F_REFUSED 1u

/* The restart protocol (docs/io.md, "Restarts and reloads"): a marker, not a
 * buffer (offset and length 0, cookie the client's sequence number).
 *
 *   client --rx-free--> SYNC: "the rx buffers I hold are exactly those set in
 *     the info page's rx_held; every other one you lent me is yours again".
 *     The driver applies it and answers with SYNC (same cookie) on rx. Every
 *     rx descriptor before that answer is stale: the client drops it without
 *     giving it back (the driver has taken the buffer back already).
 *   client --tx-------> SYNC: "I send nothing until you answer". The driver
 *     sends what came before it, waits until the device has given every
 *     frame back, and answers with SYNC on tx-done: from then on the client
 *     owns every tx buffer.
 *
 * The client syncs when it starts and whenever the info page's generation
 * changes (the driver restarted: its device was reset, what it had in
 * flight is gone). A driver that (re)starts posts no rx buffer it might
 * have lent until the first SYNC says which ones the client holds. */
#define VANITY_NET_F_SYNC 2u

/* ------------------------------------------------------------ frames */

#define VANITY_NET_ETH_HEADER 14u           /* destination, source, type */
#define VANITY_NET_MTU 1500u                /* IP bytes per frame */
#define VANITY_NET_FRAME_MIN VANITY_NET_ETH_HEADER
#define VANITY_NET_FRAME_MAX (VANITY_NET_ETH_HEADER + VANITY_NET_MTU) /* 1514: no FCS, no VLAN tag */

/* ------------------------------------------------------------ the region */

#define VANITY_NET_BUF_SIZE 2048u
#define VANITY_NET_DRIVER_AREA 0x1000u      /* after the info page */
#define VANITY_NET_DRIVER_AREA_SIZE 0xf000u /* 60 KiB */
#define VANITY_NET_RX_POOL 0x10000u
#define VANITY_NET_RX_BUFS 512u
#define VANITY_NET_TX_POOL (VANITY_NET_RX_POOL + VANITY_NET_RX_BUFS * VANITY_NET_BUF_SIZE)
#define VANITY_NET_TX_BUFS 512u
_Static_assert(VANITY_NET_RX_BUFS == 512u, "vanity_net_info.rx_held has a bit per rx buffer");
#define VANITY_NET_REGION_SIZE (VANITY_NET_TX_POOL + VANITY_NET_TX_BUFS * VANITY_NET_BUF_SIZE) /* 2112 KiB */

/* Where a received frame starts in its rx buffer: 2 bytes past a multiple of
 * 4, so that the IP header behind the 14-byte Ethernet header is aligned.
 * The driver may put its device's header in the bytes before it. */
#define VANITY_NET_RX_FRAME_OFFSET 18u

/* What the driver tells its clients, at the region's start. It clears
 * `magic` when it starts and sets it (release) once the device runs and the
 * fields are valid. */
struct vanity_net_info {
  uint32_t magic; /* VANITY_NET_INFO_MAGIC once valid */
  uint16_t mtu;   /* IP bytes per frame */
  uint8_t mac[6]; /* the interface's Ethernet address */
  uint32_t rx_queue, tx_queue; /* the device's queue sizes (information) */
  uint32_t generation;          /* bumped at each start of the driver */
  /* Written by the client before it sends a SYNC on rx-free: bit i of
   * rx_held set = the client holds rx buffer i (lent, not yet given back). */
  uint32_t rx_held[512 / 32];
};
#define VANITY_NET_INFO_MAGIC 0x4e455431u /* "NET1" */

/* Which pool a frame [offset, offset + length) lies in, and its buffer's
 * index there: 0 for the rx pool, 1 for the tx pool, -1 when it is not
 * wholly inside one buffer of either (a peer's mistake or malice). */
enum { VANITY_NET_POOL_RX = 0, VANITY_NET_POOL_TX = 1 };
static inline int vanity_net_buffer(uint32_t offset, uint32_t length, uint32_t *index) {
  uint32_t base, count;
  int pool;
  if (offset >= VANITY_NET_RX_POOL && offset < VANITY_NET_TX_POOL) {
    base = VANITY_NET_RX_POOL, count = VANITY_NET_RX_BUFS, pool = VANITY_NET_POOL_RX;
  } else if (offset >= VANITY_NET_TX_POOL && offset < VANITY_NET_REGION_SIZE) {
    base = VANITY_NET_TX_POOL, count = VANITY_NET_TX_BUFS, pool = VANITY_NET_POOL_TX;
  } else {
    return -1;
  }
  uint32_t i = (offset - base) / VANITY_NET_BUF_SIZE, in = (offset - base) % VANITY_NET_BUF_SIZE;
  if (i >= count || length > VANITY_NET_BUF_SIZE - in) return -1;
  *index = i;
  return pool;
}

static inline uint32_t vanity_net_rx_buffer(uint32_t i) { return VANITY_NET_RX_POOL + i * VANITY_NET_BUF_SIZE; }
static inline uint32_t vanity_net_tx_buffer(uint32_t i) { return VANITY_NET_TX_POOL + i * VANITY_NET_BUF_SIZE; }

/* Addresses of an offset: where the shard sees it, and where a device does
 * (the region's physical address: the driver only). */
static inline void *vanity_net_ptr(void *region, uint32_t offset) { return (uint8_t *)region + offset; }
static inline uint64_t vanity_net_phys(uint64_t region_phys, uint32_t offset) { return region_phys + offset; }

#endif

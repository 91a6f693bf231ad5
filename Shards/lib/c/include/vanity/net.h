/* Network buffer handoff between shards: the one definition shared by the
 * network driver (Shards/net-virtio), its clients (Shards/echo), and the
 * rx/tx virtualisers that may sit between them (Shards/net-virt-rx,
 * Shards/net-virt-tx; docs/io.md, "Virtualisers").
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

/* ------------------------------------------------------------ virtualisers */

/* One driver, several clients (docs/io.md, "Virtualisers"):
 *
 *   driver --rx--> virt-rx --rx-N--> client N --tx-N--> virt-tx --tx--> driver
 *   driver <-rx-free-- virt-rx <-rx-free-N--    --tx-done-N-- virt-tx <-tx-done-- driver
 *
 * To the driver each virtualiser is its one client (virt-rx on rx/rx-free,
 * virt-tx on tx/tx-done), with the protocol above. To a client the pair is
 * its driver, with the same descriptors and SYNCs and three differences:
 *
 *  - Its held map is `rx_held[N]` here, not the info page's, and the client
 *    keeps it current: it sets a buffer's bit before it uses the frame and
 *    clears it before it gives the buffer back. A virt-rx that restarts
 *    (losing what it knew) reads the maps to learn which buffers the clients
 *    have. So that no frame slips between its read and a client's use, a
 *    client sets the bits of the frames it takes, then (full fence) reads
 *    `rx_generation`; when it changed since its last sync it clears them,
 *    drops the frames and syncs. virt-rx bumps it (full fence) before it
 *    reads the maps.
 *  - Its tx buffers are its share of the tx pool (vanity_net_tx_share);
 *    virt-tx refuses any other.
 *  - It syncs when either generation here changes (a virtualiser started),
 *    not when the driver's does: the virtualisers sync with the driver and
 *    hide its restarts from their clients.
 *
 * virt-rx hands a frame to the client whose IPv4 address it is for (an IPv4
 * frame's destination, an ARP frame's target); other frames go back to the
 * driver, counted. */
#define VANITY_NET_CLIENTS_MAX 8u
#define VANITY_NET_VIRT_INFO 0x800u /* offset in the info page */

struct vanity_net_virt {
  uint32_t rx_generation; /* bumped by virt-rx at each start; 0: none yet */
  uint32_t tx_generation; /* bumped by virt-tx at each start; 0: none yet */
  uint32_t reserved[2];
  uint32_t rx_held[VANITY_NET_CLIENTS_MAX][VANITY_NET_RX_BUFS / 32];
};
_Static_assert(VANITY_NET_VIRT_INFO >= sizeof(struct vanity_net_info), "the virtualisers' part follows the driver's");
_Static_assert(VANITY_NET_VIRT_INFO + sizeof(struct vanity_net_virt) <= VANITY_NET_DRIVER_AREA, "the virtualisers' part fits the info page");

static inline struct vanity_net_virt *vanity_net_virt(void *region) {
  return (struct vanity_net_virt *)((uint8_t *)region + VANITY_NET_VIRT_INFO);
}

/* Client `client` of `clients` owns tx buffers [*first, *first + *count). */
static inline void vanity_net_tx_share(uint32_t client, uint32_t clients, uint32_t *first, uint32_t *count) {
  *first = client * VANITY_NET_TX_BUFS / clients;
  *count = (client + 1) * VANITY_NET_TX_BUFS / clients - *first;
}

/* An IPv4 address written "a.b.c.d", as a number (a << 24 | …); 0 when the
 * text is not one (0.0.0.0 is no client's address). */
static inline uint32_t vanity_net_parse_ipv4(const char *text) {
  uint32_t v = 0, part = 0, digits = 0, dots = 0;
  for (const char *c = text;; c++) {
    if (*c >= '0' && *c <= '9') {
      part = part * 10 + (uint32_t)(*c - '0');
      if (++digits > 3 || part > 255) return 0;
    } else if ((*c == '.' || !*c) && digits) {
      v = v << 8 | part;
      part = digits = 0;
      if (!*c) return dots == 3 ? v : 0;
      if (++dots > 3) return 0;
    } else {
      return 0;
    }
  }
}

/* The IPv4 address a frame is for: an IPv4 packet's destination, an ARP
 * packet's target; 0 for anything else or a frame too short to say. */
static inline uint32_t vanity_net_frame_ipv4_target(const uint8_t *frame, uint32_t length) {
  if (length < VANITY_NET_ETH_HEADER) return 0;
  uint32_t type = (uint32_t)frame[12] << 8 | frame[13], at;
  if (type == 0x0800u && length >= VANITY_NET_ETH_HEADER + 20u) {
    at = VANITY_NET_ETH_HEADER + 16u; /* IPv4: destination address */
  } else if (type == 0x0806u && length >= VANITY_NET_ETH_HEADER + 28u) {
    at = VANITY_NET_ETH_HEADER + 24u; /* ARP (Ethernet, IPv4): target protocol address */
  } else {
    return 0;
  }
  return (uint32_t)frame[at] << 24 | (uint32_t)frame[at + 1] << 16 | (uint32_t)frame[at + 2] << 8 | frame[at + 3];
}

#endif

/* An lwIP network interface over the four channels to a network driver
 * (<vanity/net.h>, docs/io.md).
 *
 * Receive is zero-copy: each frame the driver lends becomes a custom pbuf
 * over its rx buffer in the DMA region, and freeing that pbuf (whenever lwIP
 * or the application is done with it) gives the buffer back over rx-free.
 * Transmit copies lwIP's pbuf chain into one of this shard's tx buffers
 * (lwIP builds headers in its own memory) and lends it to the driver over
 * tx; tx-done gives it back.
 *
 * Behind the virtualisers (ECHO_CLIENT defined: <vanity/net.h>,
 * "virtualisers") the peers are net-virt-rx and net-virt-tx: the held map
 * is this client's in the virtualisers' page, the tx buffers are this
 * client's share of the pool, and a sync follows a virtualiser's start. */
#include "netif.h"

#include <string.h>

#include <lwip/etharp.h>
#include <lwip/pbuf.h>
#include <lwip/snmp.h>
#include <lwip/stats.h>
#include <netif/ethernet.h>

static uint8_t *region;

/* Receive: one custom pbuf per rx buffer, by its index in the rx pool. */
struct rx_pbuf {
  struct pbuf_custom pc;
  uint32_t offset; /* the frame's offset, given back on rx-free */
  uint32_t cookie;
};
static struct rx_pbuf rx_pbufs[VANITY_NET_RX_BUFS];

/* Transmit: the tx buffers this shard may use ([tx_first, tx_first +
 * tx_count): all of them, or its share behind the virtualisers), the ones
 * it holds, and which are lent. */
static uint32_t tx_first, tx_count;
static uint32_t tx_free[VANITY_NET_TX_BUFS], tx_free_count;
static uint8_t tx_out[VANITY_NET_TX_BUFS];

/* The restart protocol (vanity/net.h): which rx buffers lwIP holds (a bit
 * each, kept current in the region: the info page's map, or this client's
 * in the virtualisers' page), the generation last synced with, and the
 * answers awaited. */
static uint32_t *rx_held;
static struct {
  uint64_t generation;     /* the driver's (or both virtualisers'), when the last sync began */
  uint32_t cookie;         /* the last SYNC's */
  int rx_wait, tx_wait;    /* its answers not yet back */
  int rx_send, tx_send;    /* the markers not yet sent (a full ring: again next poll) */
} proto;

struct echo_netif_stats echo_netif_stats;

static int held(uint32_t buf) { return __atomic_load_n(&rx_held[buf / 32], __ATOMIC_RELAXED) >> (buf % 32) & 1u; }
static void set_held(uint32_t buf, int on) {
  uint32_t w = __atomic_load_n(&rx_held[buf / 32], __ATOMIC_RELAXED); /* only this shard writes its map */
  w = on ? w | 1u << (buf % 32) : w & ~(1u << (buf % 32));
  __atomic_store_n(&rx_held[buf / 32], w, __ATOMIC_RELAXED);
}

static void rx_pbuf_free(struct pbuf *p) {
  struct rx_pbuf *r = (struct rx_pbuf *)p;
  uint32_t buf = (uint32_t)(r - rx_pbufs);
  set_held(buf, 0);
  struct vanity_net_desc d = {.offset = r->offset, .cookie = r->cookie};
  /* Never full: rx-free has a slot for every rx buffer there is (its
   * release orders the map's store before it). */
  if (!vanity_try_send(&ECHO_RX_FREE, &d)) echo_netif_stats.rx_free_full++;
}

/* Every tx buffer of ours is free (at start, and once a tx sync is answered). */
static void tx_own_all(void) {
  tx_free_count = 0;
  for (uint32_t b = 0; b < VANITY_NET_TX_BUFS; b++) tx_out[b] = 0;
  for (uint32_t i = 0; i < tx_count; i++) tx_free[tx_free_count++] = tx_first + tx_count - 1 - i;
}

static uint32_t tx_reclaim(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&ECHO_TX_DONE, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      /* The driver's answer: it has nothing of ours in flight any more, and
       * whatever an earlier run of it had is gone with its device's reset. */
      if (proto.tx_wait && !proto.tx_send && in[i].cookie == proto.cookie) {
        proto.tx_wait = 0;
        tx_own_all();
      }
      continue;
    }
    if (proto.tx_wait) continue; /* before the answer: every buffer comes back with it */
    if (vanity_net_buffer(in[i].offset, 0, &buf) != VANITY_NET_POOL_TX || in[i].cookie != buf || !tx_out[buf]) {
      echo_netif_stats.driver_errors++;
      continue;
    }
    if (in[i].flags & VANITY_NET_F_REFUSED) echo_netif_stats.tx_refused++;
    tx_out[buf] = 0;
    tx_free[tx_free_count++] = buf;
  }
  return n;
}

/* Starts a sync: tells the driver which rx buffers lwIP holds, and stops
 * sending until the driver has every tx buffer back to us. */
static void sync_begin(uint64_t generation) {
  proto.generation = generation;
  proto.cookie = (uint32_t)vanity_generation(VANITY_SHARD_ID) << 20 | ((proto.cookie + 1) & 0xfffffu);
  proto.rx_wait = proto.tx_wait = proto.rx_send = proto.tx_send = 1;
  echo_netif_stats.syncs++;
}

static void sync_send(void) {
  struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = proto.cookie};
  /* The map is current; the marker's release orders its stores before it. */
  if (proto.rx_send && vanity_try_send(&ECHO_RX_FREE, &d)) proto.rx_send = 0;
  if (proto.tx_send && vanity_try_send(&ECHO_TX, &d)) proto.tx_send = 0;
}

/* The generation this shard syncs with, or 0 while its peers are not ready:
 * the driver's (with a valid info page), or both virtualisers' (each has
 * started once). */
static uint64_t peer_generation(void) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
#ifdef ECHO_CLIENT
  (void)info;
  const struct vanity_net_virt *v = vanity_net_virt(region);
  uint32_t rx = __atomic_load_n(&v->rx_generation, __ATOMIC_ACQUIRE), tx = __atomic_load_n(&v->tx_generation, __ATOMIC_ACQUIRE);
  return rx && tx ? (uint64_t)rx << 32 | tx : 0;
#else
  if (__atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_NET_INFO_MAGIC) return 0;
  return (uint64_t)__atomic_load_n(&info->generation, __ATOMIC_RELAXED) | 1ull << 32;
#endif
}

static err_t linkoutput(struct netif *netif, struct pbuf *p) {
  (void)netif;
  if (p->tot_len > VANITY_NET_FRAME_MAX) {
    echo_netif_stats.tx_too_long++;
    return ERR_IF;
  }
  if (proto.tx_wait) {
    echo_netif_stats.tx_syncing++;
    return ERR_MEM; /* as with no buffer: UDP drops, TCP sends again */
  }
  if (!tx_free_count) tx_reclaim();
  if (!tx_free_count) {
    echo_netif_stats.tx_no_buffer++;
    LINK_STATS_INC(link.memerr);
    return ERR_MEM; /* UDP drops, TCP sends again later */
  }
  uint32_t buf = tx_free[--tx_free_count];
  uint32_t off = vanity_net_tx_buffer(buf);
  pbuf_copy_partial(p, region + off, p->tot_len, 0);
  struct vanity_net_desc d = {.offset = off, .length = p->tot_len, .cookie = buf};
  if (!vanity_try_send(&ECHO_TX, &d)) { /* never full: a slot per tx buffer */
    tx_free[tx_free_count++] = buf;
    return ERR_MEM;
  }
  tx_out[buf] = 1;
  LINK_STATS_INC(link.xmit);
  return ERR_OK;
}

static err_t netif_setup(struct netif *netif) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
  netif->name[0] = 'v';
  netif->name[1] = 'n';
  netif->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(netif->hwaddr, info->mac, ETH_HWADDR_LEN);
  netif->mtu = info->mtu;
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  netif->output = etharp_output;
  netif->linkoutput = linkoutput;
  return ERR_OK;
}

int echo_netif_init(struct netif *netif, const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw) {
  region = vanity_region_net_buffers.base;
  if (vanity_region_net_buffers.size < VANITY_NET_REGION_SIZE) {
    printf("echo: the region net-buffers has %lu bytes, vanity/net.h needs %u\n", (unsigned long)vanity_region_net_buffers.size,
           VANITY_NET_REGION_SIZE);
    return -1;
  }
#ifdef ECHO_CLIENT
  _Static_assert(ECHO_CLIENT >= 0 && ECHO_CLIENT < ECHO_CLIENTS && ECHO_CLIENTS <= VANITY_NET_CLIENTS_MAX, "ECHO_CLIENT is one of ECHO_CLIENTS (at most VANITY_NET_CLIENTS_MAX)");
  rx_held = vanity_net_virt(region)->rx_held[ECHO_CLIENT];
  vanity_net_tx_share(ECHO_CLIENT, ECHO_CLIENTS, &tx_first, &tx_count);
#else
  rx_held = ((struct vanity_net_info *)region)->rx_held;
  tx_first = 0, tx_count = VANITY_NET_TX_BUFS;
#endif
  /* An earlier run's map is stale: this run holds nothing yet. */
  for (uint32_t i = 0; i < VANITY_NET_RX_BUFS / 32; i++) __atomic_store_n(&rx_held[i], 0u, __ATOMIC_RELAXED);
  tx_own_all();
  for (uint32_t i = 0; i < VANITY_NET_RX_BUFS; i++) rx_pbufs[i].pc.custom_free_function = rx_pbuf_free;
  if (!netif_add(netif, ip, mask, gw, NULL, netif_setup, ethernet_input)) return -1;
  netif_set_default(netif);
  netif_set_up(netif);
  return 0;
}

int echo_netif_syncing(void) {
  if (proto.rx_wait || proto.tx_wait) return 1;
  /* Peers restarting (not ready yet) or restarted (not synced). */
  uint64_t generation = peer_generation();
  return !generation || generation != proto.generation;
}

/* A frame taken from rx: checked, marked held; 0 when it is not ours to use. */
static int rx_take(const struct vanity_net_desc *d, uint32_t *buf) {
  if (vanity_net_buffer(d->offset, d->length, buf) != VANITY_NET_POOL_RX || d->length < VANITY_NET_FRAME_MIN || d->length > VANITY_NET_FRAME_MAX) {
    /* Not a frame in an rx buffer: count it; give it back if it names one. */
    echo_netif_stats.driver_errors++;
    if (vanity_net_buffer(d->offset, 0, buf) == VANITY_NET_POOL_RX) vanity_try_send(&ECHO_RX_FREE, d);
    return 0;
  }
  if (held(*buf)) { /* lent twice: the peer is wrong; lwIP keeps the first */
    echo_netif_stats.driver_errors++;
    return 0;
  }
  set_held(*buf, 1);
  return 1;
}

uint32_t echo_netif_poll(struct netif *netif) {
  /* Peers that (re)started since the last sync: sync again. */
  uint64_t generation = peer_generation();
  if (generation && generation != proto.generation) sync_begin(generation);
  if (proto.rx_send || proto.tx_send) sync_send();
  struct vanity_net_desc in[32];
  uint32_t take[32], taken = 0;
  uint32_t n = vanity_try_recv_batch(&ECHO_RX, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    if (in[i].flags & VANITY_NET_F_SYNC) {
      if (proto.rx_wait && !proto.rx_send && in[i].cookie == proto.cookie) proto.rx_wait = 0;
      continue;
    }
    if (proto.rx_wait) { /* lent before the peer took the SYNC: it has the buffer back */
      echo_netif_stats.rx_stale++;
      continue;
    }
    uint32_t buf;
    if (rx_take(&in[i], &buf)) take[taken++] = i | buf << 8;
  }
#ifdef ECHO_CLIENT
  /* The marks stored, then virt-rx's generation read: a virt-rx that
   * restarted before it read our map sent these frames in its earlier run
   * and may have given their buffers back to the driver (<vanity/net.h>). */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (taken && __atomic_load_n(&vanity_net_virt(region)->rx_generation, __ATOMIC_RELAXED) != (uint32_t)(proto.generation >> 32)) {
    for (uint32_t k = 0; k < taken; k++) set_held(take[k] >> 8, 0);
    echo_netif_stats.rx_stale += taken;
    taken = 0;
  }
#endif
  for (uint32_t k = 0; k < taken; k++) {
    const struct vanity_net_desc *d = &in[take[k] & 0xff];
    struct rx_pbuf *r = &rx_pbufs[take[k] >> 8];
    r->offset = d->offset;
    r->cookie = d->cookie;
    struct pbuf *p = pbuf_alloced_custom(PBUF_RAW, (u16_t)d->length, PBUF_REF, &r->pc, region + d->offset, (u16_t)d->length);
    LINK_STATS_INC(link.recv);
    if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
  }
  tx_reclaim();
  return n;
}

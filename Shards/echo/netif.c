/* An lwIP network interface over the four channels to a network driver
 * (<vanity/net.h>, docs/io.md).
 *
 * Receive is zero-copy: each frame the driver lends becomes a custom pbuf
 * over its rx buffer in the DMA region, and freeing that pbuf (whenever lwIP
 * or the application is done with it) gives the buffer back over rx-free.
 * Transmit copies lwIP's pbuf chain into one of this shard's tx buffers
 * (lwIP builds headers in its own memory) and lends it to the driver over
 * tx; tx-done gives it back. */
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

/* Transmit: the tx buffers this shard holds, and which are lent. */
static uint32_t tx_free[VANITY_NET_TX_BUFS], tx_free_count;
static uint8_t tx_out[VANITY_NET_TX_BUFS];

/* The restart protocol (vanity/net.h): which rx buffers lwIP holds, the
 * driver generation last synced with, and the answers awaited. */
static uint32_t rx_held[VANITY_NET_RX_BUFS / 32];
static struct {
  uint32_t generation;     /* the driver's, when the last sync began */
  uint32_t cookie;         /* the last SYNC's */
  int rx_wait, tx_wait;    /* its answers not yet back */
  int rx_send, tx_send;    /* the markers not yet sent (a full ring: again next poll) */
} proto;

struct echo_netif_stats echo_netif_stats;

static void rx_pbuf_free(struct pbuf *p) {
  struct rx_pbuf *r = (struct rx_pbuf *)p;
  uint32_t buf = (uint32_t)(r - rx_pbufs);
  rx_held[buf / 32] &= ~(1u << (buf % 32));
  struct vanity_net_desc d = {.offset = r->offset, .cookie = r->cookie};
  /* Never full: rx-free has a slot for every rx buffer there is. */
  if (!vanity_try_send(&vanity_channel_rx_free, &d)) echo_netif_stats.rx_free_full++;
}

static uint32_t tx_reclaim(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx_done, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      /* The driver's answer: it has nothing of ours in flight any more, and
       * whatever an earlier run of it had is gone with its device's reset. */
      if (proto.tx_wait && !proto.tx_send && in[i].cookie == proto.cookie) {
        proto.tx_wait = 0;
        tx_free_count = 0;
        for (uint32_t b = 0; b < VANITY_NET_TX_BUFS; b++) tx_out[b] = 0, tx_free[tx_free_count++] = VANITY_NET_TX_BUFS - 1 - b;
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
static void sync_begin(uint32_t generation) {
  proto.generation = generation;
  proto.cookie = (uint32_t)vanity_generation(VANITY_SHARD_ID) << 20 | ((proto.cookie + 1) & 0xfffffu);
  proto.rx_wait = proto.tx_wait = proto.rx_send = proto.tx_send = 1;
  echo_netif_stats.syncs++;
}

static void sync_send(void) {
  struct vanity_net_info *info = (struct vanity_net_info *)region;
  struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = proto.cookie};
  if (proto.rx_send) {
    /* The map first, then the marker (its release orders the stores). */
    for (uint32_t i = 0; i < VANITY_NET_RX_BUFS / 32; i++) __atomic_store_n(&info->rx_held[i], rx_held[i], __ATOMIC_RELAXED);
    if (vanity_try_send(&vanity_channel_rx_free, &d)) proto.rx_send = 0;
  }
  if (proto.tx_send && vanity_try_send(&vanity_channel_tx, &d)) proto.tx_send = 0;
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
  if (!vanity_try_send(&vanity_channel_tx, &d)) { /* never full: a slot per tx buffer */
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
  for (uint32_t i = 0; i < VANITY_NET_TX_BUFS; i++) tx_free[tx_free_count++] = VANITY_NET_TX_BUFS - 1 - i;
  for (uint32_t i = 0; i < VANITY_NET_RX_BUFS; i++) rx_pbufs[i].pc.custom_free_function = rx_pbuf_free;
  if (!netif_add(netif, ip, mask, gw, NULL, netif_setup, ethernet_input)) return -1;
  netif_set_default(netif);
  netif_set_up(netif);
  return 0;
}

int echo_netif_syncing(void) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
  if (proto.rx_wait || proto.tx_wait) return 1;
  /* A driver restarting (its info not valid yet) or restarted (not synced). */
  return __atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_NET_INFO_MAGIC ||
         __atomic_load_n(&info->generation, __ATOMIC_RELAXED) != proto.generation;
}

uint32_t echo_netif_poll(struct netif *netif) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
  /* A driver that (re)started since the last sync: sync again. */
  if (__atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) == VANITY_NET_INFO_MAGIC) {
    uint32_t generation = __atomic_load_n(&info->generation, __ATOMIC_RELAXED);
    if (generation != proto.generation) sync_begin(generation);
  }
  if (proto.rx_send || proto.tx_send) sync_send();
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_rx, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      if (proto.rx_wait && !proto.rx_send && in[i].cookie == proto.cookie) proto.rx_wait = 0;
      continue;
    }
    if (proto.rx_wait) { /* lent before the driver took the SYNC: it has the buffer back */
      echo_netif_stats.rx_stale++;
      continue;
    }
    if (vanity_net_buffer(in[i].offset, in[i].length, &buf) != VANITY_NET_POOL_RX || in[i].length < VANITY_NET_FRAME_MIN ||
        in[i].length > VANITY_NET_FRAME_MAX) {
      /* Not a frame in an rx buffer: count it; give it back if it names one. */
      echo_netif_stats.driver_errors++;
      if (vanity_net_buffer(in[i].offset, 0, &buf) == VANITY_NET_POOL_RX) vanity_try_send(&vanity_channel_rx_free, &in[i]);
      continue;
    }
    struct rx_pbuf *r = &rx_pbufs[buf];
    if (rx_held[buf / 32] & 1u << (buf % 32)) { /* lent twice: the driver is wrong; lwIP keeps the first */
      echo_netif_stats.driver_errors++;
      continue;
    }
    rx_held[buf / 32] |= 1u << (buf % 32);
    r->offset = in[i].offset;
    r->cookie = in[i].cookie;
    struct pbuf *p = pbuf_alloced_custom(PBUF_RAW, (u16_t)in[i].length, PBUF_REF, &r->pc, region + in[i].offset, (u16_t)in[i].length);
    LINK_STATS_INC(link.recv);
    if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
  }
  tx_reclaim();
  return n;
}

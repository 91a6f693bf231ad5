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

/* Transmit: the tx buffers this shard holds. */
static uint32_t tx_free[VANITY_NET_TX_BUFS], tx_free_count;

struct echo_netif_stats echo_netif_stats;

static void rx_pbuf_free(struct pbuf *p) {
  struct rx_pbuf *r = (struct rx_pbuf *)p;
  struct vanity_net_desc d = {.offset = r->offset, .cookie = r->cookie};
  /* Never full: rx-free has a slot for every rx buffer there is. */
  if (!vanity_try_send(&vanity_channel_rx_free, &d)) echo_netif_stats.rx_free_full++;
}

static uint32_t tx_reclaim(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx_done, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (vanity_net_buffer(in[i].offset, 0, &buf) != VANITY_NET_POOL_TX || in[i].cookie != buf) {
      echo_netif_stats.driver_errors++;
      continue;
    }
    if (in[i].flags & VANITY_NET_F_REFUSED) echo_netif_stats.tx_refused++;
    tx_free[tx_free_count++] = buf;
  }
  return n;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p) {
  (void)netif;
  if (p->tot_len > VANITY_NET_FRAME_MAX) {
    echo_netif_stats.tx_too_long++;
    return ERR_IF;
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

uint32_t echo_netif_poll(struct netif *netif) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_rx, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (vanity_net_buffer(in[i].offset, in[i].length, &buf) != VANITY_NET_POOL_RX || in[i].length < VANITY_NET_FRAME_MIN ||
        in[i].length > VANITY_NET_FRAME_MAX) {
      /* Not a frame in an rx buffer: count it; give it back if it names one. */
      echo_netif_stats.driver_errors++;
      if (vanity_net_buffer(in[i].offset, 0, &buf) == VANITY_NET_POOL_RX) vanity_try_send(&vanity_channel_rx_free, &in[i]);
      continue;
    }
    struct rx_pbuf *r = &rx_pbufs[buf];
    r->offset = in[i].offset;
    r->cookie = in[i].cookie;
    struct pbuf *p = pbuf_alloced_custom(PBUF_RAW, (u16_t)in[i].length, PBUF_REF, &r->pc, region + in[i].offset, (u16_t)in[i].length);
    LINK_STATS_INC(link.recv);
    if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
  }
  tx_reclaim();
  return n;
}

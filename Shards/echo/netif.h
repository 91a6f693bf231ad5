/* The echo shard's lwIP network interface over a network driver's channels
 * (netif.c). */
#ifndef ECHO_NETIF_H
#define ECHO_NETIF_H

#include <vanity/net.h>
#include <vanity/vanity.h>

#include <lwip/ip4_addr.h>
#include <lwip/netif.h>

/* Behind virtualisers (Config/echo-multi) the shard is client ECHO_CLIENT
 * of ECHO_CLIENTS and its channels are rx-N, rx-free-N, tx-N and tx-done-N;
 * alone with the driver (Config/echo) they are rx, rx-free, tx and tx-done. */
#ifdef ECHO_CLIENT
#ifndef ECHO_CLIENTS
#error "ECHO_CLIENT needs ECHO_CLIENTS (how many clients share the virtualisers)"
#endif
#define ECHO_CAT_(a, b) a##b
#define ECHO_CAT(a, b) ECHO_CAT_(a, b)
#define ECHO_RX ECHO_CAT(vanity_channel_rx_, ECHO_CLIENT)
#define ECHO_RX_FREE ECHO_CAT(vanity_channel_rx_free_, ECHO_CLIENT)
#define ECHO_TX ECHO_CAT(vanity_channel_tx_, ECHO_CLIENT)
#define ECHO_TX_DONE ECHO_CAT(vanity_channel_tx_done_, ECHO_CLIENT)
#else
#define ECHO_RX vanity_channel_rx
#define ECHO_RX_FREE vanity_channel_rx_free
#define ECHO_TX vanity_channel_tx
#define ECHO_TX_DONE vanity_channel_tx_done
#endif

/* Adds and brings up `netif` with the driver's MAC and MTU (the region's
 * struct vanity_net_info, which must be valid). 0 on success. */
int echo_netif_init(struct netif *netif, const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw);

/* Passes received frames (a batch) to lwIP and takes back sent tx buffers;
 * returns how many frames arrived. */
uint32_t echo_netif_poll(struct netif *netif);

/* Whether a restart-protocol sync waits for the driver's answers. */
int echo_netif_syncing(void);

struct echo_netif_stats {
  uint64_t driver_errors; /* descriptors from the driver that name no buffer of ours */
  uint64_t rx_free_full;  /* rx buffers that could not be given back (never: slots ≥ buffers) */
  uint64_t tx_no_buffer;  /* frames dropped for want of a tx buffer */
  uint64_t tx_too_long;
  uint64_t tx_refused;    /* frames the driver refused */
  uint64_t syncs;         /* restart-protocol syncs begun (at start, and after each driver restart) */
  uint64_t rx_stale;      /* frames of an earlier driver or client run dropped while syncing */
  uint64_t tx_syncing;    /* frames not sent while waiting for the driver's tx answer */
};
extern struct echo_netif_stats echo_netif_stats;

#endif

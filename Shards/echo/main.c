/* echo: UDP and TCP echo (port 7) on lwIP, over the network driver shard
 * (or, with ECHO_CLIENT defined, over the rx/tx virtualisers: netif.h).
 *
 * ECHO_IP (default 10.0.2.15)/24, gateway 10.0.2.2: QEMU's user
 * networking. The raw API, no OS (lwipopts.h in Shards/lib/lwip). The loop
 * passes received frames to lwIP, runs lwIP's timers, and sleeps in
 * vanity_wait until a frame arrives or the next timer is due. docs/io.md. */
#include "netif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/stats.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>

#define ECHO_PORT 7
#ifndef ECHO_IP
#define ECHO_IP "10.0.2.15"
#endif

/* lwIP's clock: milliseconds since boot. Reading it is a system call (a
 * kernel entry), and lwIP asks for it several times per look at its timers
 * (sys_check_timeouts, sys_timeouts_sleeptime, sys_timeout), so the loop
 * reads it once per look (tick) and lwIP sees that reading: at most one
 * time call per look instead of three or more. It is never more than one
 * busy stretch (TIMER_EVERY turns) or one sleep behind. */
static uint64_t now_ns;
static void tick(void) { now_ns = (uint64_t)vanity_time_ns(); }
u32_t sys_now(void) { return (u32_t)(now_ns / 1000000u); }

/* ------------------------------------------------------------ UDP */

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
  (void)arg;
  udp_sendto(pcb, p, addr, port); /* a failure (no tx buffer) drops the datagram, as UDP may */
  pbuf_free(p);
}

/* ------------------------------------------------------------ TCP */

/* One connection: what arrived and is not yet queued for sending. Bytes are
 * acknowledged to the peer's window (tcp_recved) only once tcp_write has
 * taken them, so a slow reader closes the window instead of filling us. */
struct conn {
  struct tcp_pcb *pcb;
  struct pbuf *pending;
  int closing; /* the peer has closed its side */
};

static uint32_t tcp_connections;

static void conn_close(struct conn *c) {
  tcp_arg(c->pcb, NULL);
  tcp_recv(c->pcb, NULL);
  tcp_sent(c->pcb, NULL);
  tcp_poll(c->pcb, NULL, 0);
  tcp_err(c->pcb, NULL);
  if (tcp_close(c->pcb) != ERR_OK) tcp_abort(c->pcb);
  if (c->pending) pbuf_free(c->pending);
  free(c);
}

/* Queues as much pending data as the send buffer takes. */
static void drain(struct conn *c) {
  while (c->pending) {
    u16_t room = tcp_sndbuf(c->pcb);
    u16_t n = c->pending->len < room ? c->pending->len : room;
    if (n == 0) break;
    if (tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 1) break;
    u8_t flags = TCP_WRITE_FLAG_COPY | (n < c->pending->tot_len ? TCP_WRITE_FLAG_MORE : 0);
    if (tcp_write(c->pcb, c->pending->payload, n, flags) != ERR_OK) break; /* ERR_MEM: again when data is acked */
    tcp_recved(c->pcb, n);
    c->pending = pbuf_free_header(c->pending, n);
  }
  tcp_output(c->pcb);
  if (c->closing && !c->pending) conn_close(c);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  struct conn *c = arg;
  (void)pcb;
  if (err != ERR_OK && p) {
    pbuf_free(p);
    return err;
  }
  if (!p) { /* the peer closed: send what is left, then close */
    c->closing = 1;
    drain(c);
    return ERR_OK;
  }
  if (c->pending)
    pbuf_cat(c->pending, p);
  else
    c->pending = p;
  drain(c);
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)pcb;
  (void)len;
  drain(arg);
  return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb) {
  (void)pcb;
  drain(arg);
  return ERR_OK;
}

static void on_err(void *arg, err_t err) {
  struct conn *c = arg; /* the pcb is gone already */
  (void)err;
  if (c->pending) pbuf_free(c->pending);
  free(c);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  struct conn *c = calloc(1, sizeof *c);
  if (!c) return ERR_MEM;
  c->pcb = pcb;
  tcp_arg(pcb, c);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_poll(pcb, on_poll, 2); /* every second, in case a write found no memory */
  tcp_err(pcb, on_err);
  tcp_nagle_disable(pcb);
  tcp_connections++;
  return ERR_OK;
}

/* ------------------------------------------------------------ the loop */

/* Counters when the shard goes idle after traffic, at most every few seconds. */
static void report(void) {
  static uint64_t last_ns;
  static u32_t last_recv;
  if (lwip_stats.link.recv == last_recv) return;
  uint64_t now = now_ns;
  if (now - last_ns < 5000000000ull) return;
  last_ns = now;
  last_recv = lwip_stats.link.recv;
  printf("echo: link rx %u tx %u drop %u; udp rx %u tx %u drop %u; tcp rx %u tx %u drop %u; %u connections; no tx buffer %lu, "
         "driver errors %lu; ip drop %u (reassembly %u); %lu syncs, %lu stale frames\n",
         (unsigned)lwip_stats.link.recv, (unsigned)lwip_stats.link.xmit, (unsigned)(lwip_stats.link.drop + lwip_stats.link.memerr),
         (unsigned)lwip_stats.udp.recv, (unsigned)lwip_stats.udp.xmit, (unsigned)(lwip_stats.udp.drop + lwip_stats.udp.memerr),
         (unsigned)lwip_stats.tcp.recv, (unsigned)lwip_stats.tcp.xmit, (unsigned)(lwip_stats.tcp.drop + lwip_stats.tcp.memerr),
         (unsigned)tcp_connections, (unsigned long)echo_netif_stats.tx_no_buffer, (unsigned long)echo_netif_stats.driver_errors,
         (unsigned)(lwip_stats.ip.drop + lwip_stats.ip.err + lwip_stats.ip.proterr + lwip_stats.ip.chkerr + lwip_stats.ip.lenerr + lwip_stats.ip.opterr),
         (unsigned)(lwip_stats.ip_frag.drop + lwip_stats.ip_frag.err), (unsigned long)echo_netif_stats.syncs, (unsigned long)echo_netif_stats.rx_stale);
}
#define TIMER_EVERY 64   /* busy loop turns between two looks at lwIP's timers */
#define UNTIMED_SLEEPS 16 /* short sleeps ended by traffic before the timers are looked at anyway */

int main(void) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)vanity_region_net_buffers.base;
  /* The driver says when the device runs (and what its MAC is). */
  for (int i = 0; __atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_NET_INFO_MAGIC; i++) {
    if (i == 5000) printf("echo: still waiting for the network driver\n");
    vanity_wait(1000000);
  }
  tick();
  srand((unsigned)now_ns);
  lwip_init();

  static struct netif netif;
  ip4_addr_t ip, mask, gw;
  if (!ip4addr_aton(ECHO_IP, &ip)) {
    printf("echo: ECHO_IP \"%s\" is not an IPv4 address\n", ECHO_IP);
    return 1;
  }
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 10, 0, 2, 2);
  if (echo_netif_init(&netif, &ip, &mask, &gw)) return 1;
  /* The restart protocol's first sync (vanity/net.h): the driver takes back
   * whatever an earlier run of this shard held, and answers; until then
   * nothing is sent. Bounded: a driver that does not answer is reported. */
  for (int i = 0; echo_netif_poll(&netif), echo_netif_syncing(); i++) {
    if (i == 5000) printf("echo: the network driver does not answer its sync\n");
    vanity_wait(1000000);
  }

  struct udp_pcb *u = udp_new();
  if (!u || udp_bind(u, IP_ANY_TYPE, ECHO_PORT) != ERR_OK) {
    printf("echo: cannot bind udp port %d\n", ECHO_PORT);
    return 1;
  }
  udp_recv(u, udp_echo, NULL);
  struct tcp_pcb *t = tcp_new();
  if (!t || tcp_bind(t, IP_ANY_TYPE, ECHO_PORT) != ERR_OK || !(t = tcp_listen(t))) {
    printf("echo: cannot listen on tcp port %d\n", ECHO_PORT);
    return 1;
  }
  tcp_accept(t, on_accept);
  /* Announce ourselves and resolve the gateway (every reply goes through
   * it under QEMU's user networking) before the first client arrives. */
  etharp_gratuitous(&netif);
  etharp_request(&netif, &gw);
  printf("echo: listening on %s udp %d tcp %d (mac %02x:%02x:%02x:%02x:%02x:%02x)\n", ECHO_IP, ECHO_PORT, ECHO_PORT, info->mac[0],
         info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5]);

  uint32_t busy = 0, untimed = 0, sync_waits = 0;
  uint64_t busy_at = vanity_cycles(); /* when a frame last came */
  for (;;) {
    uint32_t n = echo_netif_poll(&netif);
    if (n) {
      busy_at = vanity_cycles();
      if (++busy % TIMER_EVERY == 0) {
        tick();
        sys_check_timeouts();
      }
      continue;
    }
    if (vanity_keep_polling(busy_at)) {
      vanity_arch_pause();
      continue;
    }
    busy_at = vanity_cycles(); /* whatever ends the sleep below, poll a while after it */
    if (echo_netif_syncing()) {
      /* The driver restarts: look again in a millisecond, for a second;
       * then every 100 ms (a driver held after a fault may never answer). */
      vanity_wait(++sync_waits <= 1000 ? 1000000u : 100000000u);
      continue;
    }
    sync_waits = 0;
    if (vanity_arm(&ECHO_RX)) continue;
    /* A bounded first sleep closes the race with a driver that published
     * a frame as we set our flag (vanity__block does the same). Under
     * traffic a frame usually ends it, so it comes before the clock is
     * read and the timers looked at: lwIP's timers (250 ms and up) may run
     * 1 ms late, and a busy stretch looks at them every TIMER_EVERY turns
     * anyway. Only a system idle for that millisecond (or woken that way
     * UNTIMED_SLEEPS times in a row) pays for the clock. */
    if (untimed < UNTIMED_SLEEPS) {
      untimed++;
      if (vanity_wait(VANITY_RACE_WAIT_NS) || vanity_pending(&ECHO_RX)) continue;
    }
    untimed = 0;
    tick();
    report();
    sys_check_timeouts();
    u32_t sleep_ms = sys_timeouts_sleeptime();
    if (sleep_ms == 0) continue;
    if (sleep_ms > 1000) sleep_ms = 1000;
    /* Still armed: nobody has cleared our flag without waking us. */
    if (vanity_pending(&ECHO_RX)) continue;
    vanity_wait((uint64_t)sleep_ms * 1000000u);
  }
}

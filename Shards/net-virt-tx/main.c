/* net-virt-tx: the transmit virtualiser. Several clients, one network
 * driver (docs/io.md, "Virtualisers"; protocol: <vanity/net.h>).
 *
 * To client i it is the driver on tx-<i>/tx-done-<i>; to the driver it is
 * the client on tx/tx-done. It passes each client's frames on, zero-copy,
 * after checking that the buffer is in that client's share of the tx pool
 * and not already on its way (anything else is refused back to the client),
 * and gives each buffer back to its client once the driver has sent it. It
 * syncs with the driver when the driver (re)starts, and then gives back
 * every frame the old driver had (unsent), so the clients never see a
 * driver restart. It answers a client's SYNC once none of that client's
 * frames is with the driver. */
#include <vanity/net-virt.h>

#include <stdio.h>

#define TX_CLIENT(n) {.tx = &vanity_channel_tx_##n, .done = &vanity_channel_tx_done_##n, .name = #n},
static struct client {
  const struct vanity_channel *tx, *done;
  const char *name;
  uint32_t first, count; /* its share of the tx pool */
  uint32_t in_flight;    /* its frames with the driver */
  int wait, ack;         /* a SYNC taken: waiting for its frames; answer to send */
  uint32_t cookie;
  uint64_t frames, bytes, refused, syncs;
  struct vanity_net_desc out[32];
  uint32_t out_count;
} clients[VIRT_CLIENTS] = {VIRT_CLIENT_TABLE(TX_CLIENT)};

static uint8_t *region;
static struct vanity_net_virt *virt;
/* Each tx buffer with the driver: its client and the client's descriptor. */
static uint8_t at_driver[VANITY_NET_TX_BUFS];
static struct vanity_net_desc sent_desc[VANITY_NET_TX_BUFS];

static struct virt_sync drv; /* with the driver */

static struct {
  uint64_t frames, driver_errors, stale, restarts_hidden;
} stats;

static void flush_client(struct client *c) {
  if (c->out_count) vanity_try_send_batch(c->done, c->out, c->out_count); /* room: slots ≥ its buffers */
  c->out_count = 0;
}

static void to_client(struct client *c, struct vanity_net_desc d) {
  c->out[c->out_count++] = d;
  if (c->out_count == 32) flush_client(c);
}

/* The driver is done with `buf` (sent, refused, or lost with its restart). */
static void returned(uint32_t buf, uint32_t flags) {
  struct client *c = &clients[at_driver[buf]];
  at_driver[buf] = VIRT_NONE;
  c->in_flight--;
  struct vanity_net_desc d = sent_desc[buf];
  d.flags = flags;
  to_client(c, d);
}

/* ------------------------------------------------------------ the driver */

static void driver_sync(void) {
  virt_sync_check(region, &drv);
  if (drv.send) {
    struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = drv.cookie};
    if (vanity_try_send(&vanity_channel_tx, &d)) drv.send = 0;
  }
}

static uint32_t from_driver(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx_done, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      if (virt_sync_answered(&drv, &in[i])) {
        /* Nothing of ours is with the driver any more: what an earlier run
         * of it had is gone with its device's reset. Back to the clients. */
        for (uint32_t b = 0; b < VANITY_NET_TX_BUFS; b++)
          if (at_driver[b] != VIRT_NONE) returned(b, VANITY_NET_F_REFUSED), stats.restarts_hidden++;
      }
      continue;
    }
    if (vanity_net_buffer(in[i].offset, 0, &buf) != VANITY_NET_POOL_TX || in[i].cookie != buf) {
      stats.driver_errors++; /* not a frame we passed on: ignored */
      continue;
    }
    if (at_driver[buf] == VIRT_NONE) { /* one from before our own restart: its client's sync takes it back */
      stats.stale++;
      continue;
    }
    returned(buf, in[i].flags & VANITY_NET_F_REFUSED);
  }
  return n;
}

/* ------------------------------------------------------------ the clients */

static uint32_t from_client(struct client *c) {
  struct vanity_net_desc in[32], pass[32];
  uint32_t p = 0, n = 0;
  if (!c->wait && !drv.wait) { /* after a SYNC it sends nothing until answered; none while we sync */
    n = vanity_try_recv_batch(c->tx, in, 32);
    for (uint32_t k = 0; k < n; k++) {
      uint32_t buf;
      if (in[k].flags & VANITY_NET_F_SYNC) {
        c->wait = 1;
        c->cookie = in[k].cookie;
        c->syncs++;
        continue;
      }
      if (vanity_net_buffer(in[k].offset, in[k].length, &buf) != VANITY_NET_POOL_TX || buf - c->first >= c->count ||
          at_driver[buf] != VIRT_NONE || in[k].length < VANITY_NET_FRAME_MIN || in[k].length > VANITY_NET_FRAME_MAX) {
        /* Not a frame in a buffer of its share that it holds: refused. */
        c->refused++;
        struct vanity_net_desc d = in[k];
        d.flags = VANITY_NET_F_REFUSED;
        to_client(c, d);
        continue;
      }
      at_driver[buf] = (uint8_t)(c - clients);
      sent_desc[buf] = in[k];
      c->in_flight++;
      c->frames++;
      c->bytes += in[k].length;
      stats.frames++;
      pass[p] = in[k];
      pass[p].cookie = buf; /* the driver gives back our tag; the client's is in sent_desc */
      pass[p++].flags = 0;
    }
    if (p) vanity_try_send_batch(&vanity_channel_tx, pass, p); /* room: slots ≥ tx buffers */
  }
  if (c->wait && !c->in_flight && !drv.wait) c->wait = 0, c->ack = 1;
  if (c->ack) {
    flush_client(c); /* what came before the answer goes first */
    virt_answer(&c->ack, c->cookie, c->done);
  }
  return n;
}

/* ------------------------------------------------------------ start and loop */

static void report(void) {
  if (!virt_report_due(stats.frames)) return;
  char line[256];
  int at = snprintf(line, sizeof line, "virt-tx: %lu frames,", (unsigned long)stats.frames);
  for (uint32_t i = 0; i < VIRT_CLIENTS && at < (int)sizeof line; i++)
    at += snprintf(line + at, sizeof line - (size_t)at, " client %s %lu (%lu refused, %lu syncs),", clients[i].name, (unsigned long)clients[i].frames,
                   (unsigned long)clients[i].refused, (unsigned long)clients[i].syncs);
  vanity_printf("%s %lu bad from the driver, %lu stale; %lu driver syncs, %lu frames given back unsent\n", line, (unsigned long)stats.driver_errors,
                (unsigned long)stats.stale, (unsigned long)drv.syncs, (unsigned long)stats.restarts_hidden);
}

int main(void) {
  region = vanity_region_net_buffers.base;
  virt = vanity_net_virt(region);
  if (!virt_region_fits("virt-tx", vanity_region_net_buffers.size)) return 1;
  for (uint32_t i = 0; i < VIRT_CLIENTS; i++) vanity_net_tx_share(i, VIRT_CLIENTS, &clients[i].first, &clients[i].count);
  for (uint32_t b = 0; b < VANITY_NET_TX_BUFS; b++) at_driver[b] = VIRT_NONE;
  /* Clients sync when they see this; their SYNCs are answered once our
   * first sync with the driver is (drv.wait). */
  uint32_t generation = virt_bump(&virt->tx_generation);
  vanity_printf("virt-tx: %u clients (generation %u)\n", (unsigned)VIRT_CLIENTS, (unsigned)generation);

  uint64_t busy_at = vanity_cycles(); /* when work was last seen */
  for (;;) {
    driver_sync();
    uint32_t work = from_driver();
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) work += from_client(&clients[i]);
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) flush_client(&clients[i]);
    int owed = drv.send;
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) owed |= clients[i].ack;
    if (work || owed) {
      busy_at = vanity_cycles();
      continue;
    }
    if (vanity_keep_polling(busy_at)) {
      vanity_arch_pause();
      continue;
    }
    busy_at = vanity_cycles(); /* whatever ends the sleep below, poll a while after it */
    int ready = vanity_arm(&vanity_channel_tx_done);
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) ready |= vanity_arm(clients[i].tx);
    if (!ready) virt_sleep(region, &drv, &vanity_channel_tx_done, report);
  }
}

/* net-virt-rx: the receive virtualiser. One network driver, several clients
 * (docs/io.md, "Virtualisers"; protocol: <vanity/net.h>).
 *
 * To the driver it is the client on rx/rx-free; to client i it is the
 * driver on rx-<i>/rx-free-<i>. Each received frame goes, zero-copy, to the
 * client whose IPv4 address (VIRT_IP_<i>) it is for: an IPv4 packet's
 * destination, an ARP packet's target. Anything else goes straight back to
 * the driver and is counted. It remembers which client has each rx buffer,
 * takes a buffer back only from that client, and answers each client's
 * SYNC by giving the driver every buffer the client says it no longer
 * holds. It syncs with the driver itself when the driver (re)starts, so the
 * clients never see a driver restart; when it (re)starts itself, it learns
 * from the clients' held maps which buffers they have (<vanity/net.h>). */
#include <vanity/net-virt.h>

#include <stdio.h>

#define RX_CLIENT(n) {.rx = &vanity_channel_rx_##n, .free = &vanity_channel_rx_free_##n, .ip_text = VIRT_IP_##n, .name = #n},
static struct client {
  const struct vanity_channel *rx, *free;
  const char *ip_text, *name;
  uint32_t ip;
  /* A SYNC to answer (its cookie); frames and bytes handed over. */
  int ack;
  uint32_t cookie;
  uint64_t frames, bytes, errors, syncs;
  struct vanity_net_desc out[32];
  uint32_t out_count;
} clients[VIRT_CLIENTS] = {VIRT_CLIENT_TABLE(RX_CLIENT)};

static uint8_t *region;
static struct vanity_net_info *info;
static struct vanity_net_virt *virt;
static uint8_t owner[VANITY_NET_RX_BUFS]; /* the client that has the buffer, or VIRT_NONE */

/* Buffers going back to the driver, sent in batches. */
static struct vanity_net_desc back[32];
static uint32_t back_count;

static struct virt_sync drv; /* with the driver */

static struct {
  uint64_t frames, unrouted, driver_errors, client_errors, stale;
} stats;

static void flush_back(void) {
  if (back_count) vanity_try_send_batch(&vanity_channel_rx_free, back, back_count); /* room: slots ≥ rx buffers */
  back_count = 0;
}

static void give_back(uint32_t buf) {
  owner[buf] = VIRT_NONE;
  back[back_count++] = (struct vanity_net_desc){.offset = vanity_net_rx_buffer(buf), .cookie = buf};
  if (back_count == 32) flush_back();
}

static void flush_client(struct client *c) {
  if (!c->out_count) return;
  uint32_t sent = vanity_try_send_batch(c->rx, c->out, c->out_count);
  for (uint32_t i = sent; i < c->out_count; i++) { /* cannot happen (slots ≥ buffers): back to the driver */
    uint32_t buf = c->out[i].cookie;
    give_back(buf);
  }
  c->out_count = 0;
}

/* ------------------------------------------------------------ the driver */

static void driver_sync(void) {
  virt_sync_check(region, &drv);
  if (drv.send) {
    /* The buffers our clients have are the ones we hold; the rest is the
     * driver's again (those in flight to us are stale, dropped below). */
    flush_back();
    for (uint32_t w = 0; w < VANITY_NET_RX_BUFS / 32; w++) {
      uint32_t bits = 0;
      for (uint32_t b = 0; b < 32; b++) bits |= (uint32_t)(owner[w * 32 + b] != VIRT_NONE) << b;
      __atomic_store_n(&info->rx_held[w], bits, __ATOMIC_RELAXED);
    }
    struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = drv.cookie};
    if (vanity_try_send(&vanity_channel_rx_free, &d)) drv.send = 0;
  }
}

static struct client *route(const struct vanity_net_desc *d) {
  uint32_t ip = vanity_net_frame_ipv4_target(region + d->offset, d->length);
  for (uint32_t i = 0; ip && i < VIRT_CLIENTS; i++)
    if (clients[i].ip == ip) return &clients[i];
  return NULL;
}

static uint32_t from_driver(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_rx, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (in[i].flags & VANITY_NET_F_SYNC) {
      virt_sync_answered(&drv, &in[i]);
      continue;
    }
    if (drv.wait) { /* lent before the driver took our SYNC: it has it back */
      stats.stale++;
      continue;
    }
    if (vanity_net_buffer(in[i].offset, in[i].length, &buf) != VANITY_NET_POOL_RX || owner[buf] != VIRT_NONE ||
        in[i].length < VANITY_NET_FRAME_MIN || in[i].length > VANITY_NET_FRAME_MAX) {
      /* Not a frame in a free rx buffer: counted; given back if it names a
       * buffer no client has. */
      stats.driver_errors++;
      if (vanity_net_buffer(in[i].offset, 0, &buf) == VANITY_NET_POOL_RX && owner[buf] == VIRT_NONE) give_back(buf);
      continue;
    }
    struct client *c = route(&in[i]);
    if (!c || c->ack) { /* no client's, or one whose SYNC is not answered yet */
      stats.unrouted++;
      give_back(buf);
      continue;
    }
    owner[buf] = (uint8_t)(c - clients);
    c->out[c->out_count] = in[i];
    c->out[c->out_count++].cookie = buf;
    c->frames++;
    c->bytes += in[i].length;
    stats.frames++;
    if (c->out_count == 32) flush_client(c);
  }
  for (uint32_t i = 0; i < VIRT_CLIENTS; i++) flush_client(&clients[i]);
  flush_back();
  return n;
}

/* ------------------------------------------------------------ the clients */

/* A client's SYNC: every buffer it had from us that its map does not show
 * goes back to the driver. */
static void client_sync(struct client *c, uint32_t cookie) {
  uint32_t i = (uint32_t)(c - clients);
  for (uint32_t b = 0; b < VANITY_NET_RX_BUFS; b++) {
    uint32_t held = __atomic_load_n(&virt->rx_held[i][b / 32], __ATOMIC_RELAXED) >> (b % 32) & 1u;
    if (owner[b] == i && !held) give_back(b);
  }
  c->ack = 1;
  c->cookie = cookie;
  c->syncs++;
}

static uint32_t from_client(struct client *c) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(c->free, in, 32), i = (uint32_t)(c - clients);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t buf;
    if (in[k].flags & VANITY_NET_F_SYNC) {
      client_sync(c, in[k].cookie);
      continue;
    }
    if (vanity_net_buffer(in[k].offset, 0, &buf) != VANITY_NET_POOL_RX || owner[buf] != i) {
      c->errors++; /* not a buffer this client has: ignored */
      stats.client_errors++;
      continue;
    }
    give_back(buf);
  }
  if (c->ack) {
    flush_client(c); /* what came before the answer goes first */
    virt_answer(&c->ack, c->cookie, c->rx);
  }
  return n;
}

/* ------------------------------------------------------------ start and loop */

/* What the clients have, from their maps, read after our generation is
 * bumped (<vanity/net.h>): a buffer two claim stays with the first. */
static void learn_from_clients(void) {
  for (uint32_t b = 0; b < VANITY_NET_RX_BUFS; b++) owner[b] = VIRT_NONE;
  for (uint32_t i = 0; i < VIRT_CLIENTS; i++)
    for (uint32_t b = 0; b < VANITY_NET_RX_BUFS; b++)
      if (owner[b] == VIRT_NONE && __atomic_load_n(&virt->rx_held[i][b / 32], __ATOMIC_RELAXED) >> (b % 32) & 1u) owner[b] = (uint8_t)i;
}

static void report(void) {
  if (!virt_report_due(stats.frames + stats.unrouted)) return;
  char line[256];
  int at = snprintf(line, sizeof line, "virt-rx: %lu frames,", (unsigned long)stats.frames);
  for (uint32_t i = 0; i < VIRT_CLIENTS && at < (int)sizeof line; i++)
    at += snprintf(line + at, sizeof line - (size_t)at, " %s %lu (%lu bad returns, %lu syncs),", clients[i].ip_text, (unsigned long)clients[i].frames,
                   (unsigned long)clients[i].errors, (unsigned long)clients[i].syncs);
  vanity_printf("%s %lu unrouted, %lu bad from the driver, %lu stale; %lu driver syncs\n", line, (unsigned long)stats.unrouted,
                (unsigned long)stats.driver_errors, (unsigned long)stats.stale, (unsigned long)drv.syncs);
}

int main(void) {
  region = vanity_region_net_buffers.base;
  info = (struct vanity_net_info *)region;
  virt = vanity_net_virt(region);
  if (!virt_region_fits("virt-rx", vanity_region_net_buffers.size)) return 1;
  for (uint32_t i = 0; i < VIRT_CLIENTS; i++) {
    clients[i].ip = vanity_net_parse_ipv4(clients[i].ip_text);
    if (!clients[i].ip) {
      vanity_printf("virt-rx: VIRT_IP_%s \"%s\" is not an IPv4 address (a.b.c.d)\n", clients[i].name, clients[i].ip_text);
      return 1;
    }
    for (uint32_t j = 0; j < i; j++)
      if (clients[j].ip == clients[i].ip) {
        vanity_printf("virt-rx: clients %s and %s both have %s\n", clients[j].name, clients[i].name, clients[i].ip_text);
        return 1;
      }
  }
  uint32_t generation = virt_bump(&virt->rx_generation);
  learn_from_clients();
  vanity_printf("virt-rx: %u clients (generation %u)\n", (unsigned)VIRT_CLIENTS, (unsigned)generation);

  uint64_t busy_at = vanity_cycles(); /* when work was last seen */
  for (;;) {
    driver_sync();
    uint32_t work = from_driver();
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) work += from_client(&clients[i]);
    flush_back();
    if (work || drv.send) {
      busy_at = vanity_cycles();
      continue;
    }
    if (vanity_keep_polling(busy_at)) {
      vanity_arch_pause();
      continue;
    }
    busy_at = vanity_cycles(); /* whatever ends the sleep below, poll a while after it */
    int ready = vanity_arm(&vanity_channel_rx);
    for (uint32_t i = 0; i < VIRT_CLIENTS; i++) ready |= vanity_arm(clients[i].free);
    if (!ready) virt_sleep(region, &drv, &vanity_channel_rx, report);
  }
}

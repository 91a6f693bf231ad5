/* The simulator's virtio-net device (virtio 1.x, 5.1) behind libslirp,
 * QEMU's user networking as a library: the same network a board sees under
 * QEMU's `-netdev user` (10.0.2.0/24, gateway 10.0.2.2, the guest at
 * 10.0.2.15), with the manifest's forwarded ports (VANITY_SIM_FORWARD,
 * "udp:HOST:GUEST,tcp:HOST:GUEST") bound on 127.0.0.1.
 *
 * Queue 0 receives, queue 1 transmits; offers VERSION_1 and MAC
 * (52:54:00:12:34:56, QEMU's first), no offloads, no mergeable buffers. A
 * transmitted frame (after its 12-byte header) goes to slirp_input when the
 * driver kicks the queue; a frame from slirp is written into the next
 * receive buffer, with a 12-byte header in front (num_buffers 1). Frames that
 * find no receive buffer wait in a backlog of RX_BACKLOG frames (as QEMU's
 * network queue holds them), then are dropped and counted.
 *
 * slirp's sockets are polled by a thread of their own, or, in deterministic
 * mode, by the scheduler itself (sim_devices_poll) so that only one thread
 * runs at a time. Everything slirp does happens under sim_dev_lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "devices.h"

#define F_MAC (1ull << 5)
#define F_VERSION_1 (1ull << 32)
#define NET_HDR 12u
#define FRAME_MAX 1514u
#define RX_BACKLOG 256u
#define MAX_FDS 256u
#define MAX_TIMERS 8u

static struct sim_virtio *dev;
static Slirp *slirp;
static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static int wake_pipe[2] = {-1, -1};
static uint64_t rx_frames, tx_frames, rx_dropped, tx_bad;

static struct {
  uint16_t len;
  uint8_t data[FRAME_MAX];
} backlog[RX_BACKLOG];
static unsigned backlog_head, backlog_count;

static uint64_t net_config(struct sim_virtio *d, uint32_t off, uint32_t width) {
  (void)d;
  uint8_t config[8] = {0};
  memcpy(config, mac, 6);
  config[6] = 1; /* status: link up (VIRTIO_NET_S_LINK_UP; only read with F_STATUS, not offered) */
  uint64_t v = 0;
  if (off < sizeof config && width <= sizeof config - off) memcpy(&v, config + off, width);
  return v;
}

/* Puts one frame into the next receive buffer; 0 when none is free. */
static int rx_deliver(const uint8_t *frame, uint32_t len) {
  if (!sim_vq_has_avail(dev, 0)) return 0;
  struct sim_chain c;
  if (!sim_vq_pop(dev, 0, &c)) return 0;
  uint8_t hdr[NET_HDR] = {0};
  hdr[10] = 1; /* num_buffers */
  uint32_t room = 0;
  for (uint32_t i = 0; i < c.n; i++) room += c.seg[i].write ? c.seg[i].len : 0;
  if (c.bad || room < NET_HDR + len) {
    sim_vq_push(dev, 0, c.head, 0); /* a buffer the driver got wrong: given back empty */
    rx_dropped++;
    return 1;
  }
  uint32_t at = 0, total = NET_HDR + len;
  for (uint32_t i = 0; i < c.n && at < total; i++) {
    struct sim_seg *s = &c.seg[i];
    if (!s->write) continue;
    for (uint32_t k = 0; k < s->len && at < total; k++, at++) s->p[k] = at < NET_HDR ? hdr[at] : frame[at - NET_HDR];
  }
  sim_vq_push(dev, 0, c.head, total);
  rx_frames++;
  return 1;
}

/* Frames waiting for receive buffers, in order. */
static void rx_flush(void) {
  int any = 0;
  while (backlog_count && rx_deliver(backlog[backlog_head].data, backlog[backlog_head].len)) {
    backlog_head = (backlog_head + 1) % RX_BACKLOG;
    backlog_count--;
    any = 1;
  }
  if (any) sim_vq_interrupt(dev, 0);
}

/* A frame for the guest: into a receive buffer now, or the backlog. A frame
 * over FRAME_MAX (only a garbled one) goes straight to a buffer or is dropped. */
static void rx_offer(const uint8_t *frame, uint32_t len) {
  if (!backlog_count && rx_deliver(frame, len)) {
    sim_vq_interrupt(dev, 0);
    return;
  }
  if (backlog_count == RX_BACKLOG || len > FRAME_MAX) {
    rx_dropped++;
    return;
  }
  unsigned at = (backlog_head + backlog_count++) % RX_BACKLOG;
  backlog[at].len = (uint16_t)len;
  memcpy(backlog[at].data, frame, len);
}

/* --inject garble: a damaged copy of `frame`, chosen by `r`, none of which
 * a correct stack may take for data: shorter than an Ethernet header; cut
 * inside the IP or transport header; an unknown EtherType; a bad IP
 * version/length byte; an IP total length past the frame; a bad IP header
 * checksum; a flipped payload byte (the UDP/TCP checksum fails); longer
 * than any Ethernet frame (random bytes after the copy). */
static uint32_t garble(const uint8_t *frame, uint32_t len, uint64_t r, uint8_t *out) {
  static const uint32_t big = 2048u - NET_HDR; /* the driver's buffers: 2 KiB */
  uint32_t n = len, kind = (uint32_t)(r % 8), x = (uint32_t)(r >> 8);
  memcpy(out, frame, len);
  switch (kind) {
  case 0: n = x % 14; break;
  case 1: n = len > 14 ? 14 + x % (len - 14 < 28 ? len - 14 : 28) : x % 14; break;
  case 2:
    if (len >= 14) {
      out[12] = 0x88;
      out[13] = 0xb5;
    }
    break;
  case 3: if (len > 14) out[14] = (uint8_t)(x % 0x45); break; /* never 0x45 (IPv4, 20-byte header) */
  case 4: if (len > 17) out[16] = out[17] = 0xff; break;
  case 5: if (len > 25) out[24] ^= 0xa5; break;
  case 6: if (len > 42) out[len - 1] ^= 0x5a; else n = x % 14; break;
  default:
    n = FRAME_MAX + 1 + x % (big - FRAME_MAX);
    for (uint32_t i = len; i < n; i++) out[i] = (uint8_t)(i * 131u ^ x);
    break;
  }
  return n;
}

/* slirp sends a frame to the guest. */
static ssize_t send_packet(const void *buf, size_t len, void *opaque) {
  (void)opaque;
  if (len > FRAME_MAX || !sim_virtio_live(dev) || sim_inject_loss("rx")) return (ssize_t)len;
  uint64_t r = sim_inject_garble("rx");
  if (r) {
    static uint8_t bad[2048];
    rx_offer(bad, garble(buf, (uint32_t)len, r, bad));
  }
  rx_offer(buf, (uint32_t)len);
  return (ssize_t)len;
}

static void wake_poller(void) {
  if (wake_pipe[1] >= 0) {
    char b = 1;
    ssize_t n = write(wake_pipe[1], &b, 1);
    (void)n;
  }
}

/* The driver kicked a queue: transmit what it made available, or take the
 * receive buffers it added for the backlog. */
static void net_notify(struct sim_virtio *d, uint32_t queue) {
  if (queue == 0) {
    rx_flush();
    return;
  }
  struct sim_chain c;
  static uint8_t frame[NET_HDR + FRAME_MAX];
  int any = 0;
  while (sim_vq_pop(d, 1, &c)) {
    uint32_t len = 0;
    int bad = c.bad;
    for (uint32_t i = 0; i < c.n && !bad; i++) {
      if (c.seg[i].write || len + c.seg[i].len > sizeof frame) bad = 1;
      else {
        memcpy(frame + len, c.seg[i].p, c.seg[i].len);
        len += c.seg[i].len;
      }
    }
    sim_vq_push(d, 1, c.head, 0);
    any = 1;
    if (bad || len <= NET_HDR + 14) {
      tx_bad++;
      continue;
    }
    tx_frames++;
    if (sim_inject_loss("tx")) continue;
    slirp_input(slirp, frame + NET_HDR, (int)(len - NET_HDR));
  }
  if (any) {
    sim_vq_interrupt(d, 1);
    wake_poller(); /* slirp may have new sockets or data to send */
  }
}

static void net_reset(struct sim_virtio *d) {
  (void)d;
  backlog_count = 0;
}

/* ------------------------------------------------------------ slirp's host side */

static int64_t clock_ns(void *opaque) {
  (void)opaque;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static struct timer {
  SlirpTimerCb cb;
  void *cb_opaque;
  int64_t expire_ms; /* -1: not armed */
  int used;
} timers[MAX_TIMERS];

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque) {
  (void)opaque;
  for (unsigned i = 0; i < MAX_TIMERS; i++)
    if (!timers[i].used) {
      timers[i] = (struct timer){cb, cb_opaque, -1, 1};
      return &timers[i];
    }
  return NULL;
}
static void timer_free(void *t, void *opaque) {
  (void)opaque;
  if (t) ((struct timer *)t)->used = 0;
}
static void timer_mod(void *t, int64_t expire_ms, void *opaque) {
  (void)opaque;
  if (t) ((struct timer *)t)->expire_ms = expire_ms;
  wake_poller();
}
static void run_timers(void) {
  int64_t now = clock_ns(NULL) / 1000000;
  for (unsigned i = 0; i < MAX_TIMERS; i++)
    if (timers[i].used && timers[i].expire_ms >= 0 && timers[i].expire_ms <= now) {
      timers[i].expire_ms = -1;
      timers[i].cb(timers[i].cb_opaque);
    }
}
static void guest_error(const char *msg, void *opaque) {
  (void)opaque;
  fprintf(stderr, "sim: net: %s\n", msg);
}
/* libslirp's sockets (each host connection among them) must not leak into
 * the shard processes the simulator spawns (a restart or reload spawns one
 * at any time): a leaked copy keeps a connection open on the host after
 * libslirp has closed it, so a reset the guest sends never reaches the
 * host's peer. */
static void register_fd(int fd, void *opaque) {
  (void)opaque;
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}
static void unregister_fd(int fd, void *opaque) { (void)fd, (void)opaque; }
static void notify(void *opaque) {
  (void)opaque;
  wake_poller();
}

static struct pollfd fds[MAX_FDS];
static unsigned nfds;

static int add_poll(int fd, int events, void *opaque) {
  (void)opaque;
  if (nfds >= MAX_FDS) return -1;
  short ev = 0;
  if (events & SLIRP_POLL_IN) ev |= POLLIN;
  if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
  fds[nfds] = (struct pollfd){.fd = fd, .events = ev};
  return (int)nfds++;
}
static int get_revents(int idx, void *opaque) {
  (void)opaque;
  if (idx < 0 || (unsigned)idx >= nfds) return 0;
  short r = fds[idx].revents;
  return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) | ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) |
         ((r & POLLERR) ? SLIRP_POLL_ERR : 0) | ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* One round: slirp's descriptors (and the wake pipe) polled for up to
 * `timeout_ns`, then slirp handles what is ready. Whether any descriptor
 * was ready (input from outside, or a kick). */
int sim_net_poll(uint64_t timeout_ns) {
  pthread_mutex_lock(&sim_dev_lock);
  nfds = 0;
  uint32_t timeout_ms = (uint32_t)((timeout_ns + 999999) / 1000000);
  add_poll(wake_pipe[0], SLIRP_POLL_IN, NULL);
  slirp_pollfds_fill(slirp, &timeout_ms, add_poll, NULL);
  int64_t now = clock_ns(NULL) / 1000000;
  for (unsigned i = 0; i < MAX_TIMERS; i++)
    if (timers[i].used && timers[i].expire_ms >= 0) {
      int64_t left = timers[i].expire_ms > now ? timers[i].expire_ms - now : 0;
      if ((uint64_t)left < timeout_ms) timeout_ms = (uint32_t)left;
    }
  unsigned n = nfds;
  pthread_mutex_unlock(&sim_dev_lock);
  /* Without the lock: the drivers' register accesses go on meanwhile. */
  int ready = poll(fds, n, timeout_ns == 0 ? 0 : (int)timeout_ms);
  pthread_mutex_lock(&sim_dev_lock);
  if (ready > 0 && (fds[0].revents & POLLIN)) {
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof buf) > 0) {}
  }
  slirp_pollfds_poll(slirp, ready < 0, get_revents, NULL);
  run_timers();
  rx_flush();
  pthread_mutex_unlock(&sim_dev_lock);
  return ready > 0;
}

static void *poller(void *arg) {
  (void)arg;
  for (;;) sim_net_poll(1000000000ull);
  return NULL;
}

/* "udp:HOST:GUEST@ADDRESS,tcp:HOST:GUEST@ADDRESS" (the address the system's
 * network stack has, 10.0.2.15 when left out) */
static int add_forwards(const char *spec) {
  for (const char *p = spec; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char item[64];
    if (n >= sizeof item) return -1;
    memcpy(item, p, n);
    item[n] = 0;
    char proto[8], address[20] = "10.0.2.15";
    int host, guest, got = sscanf(item, "%7[a-z]:%d:%d@%19[0-9.]", proto, &host, &guest, address);
    struct in_addr h = {.s_addr = htonl(INADDR_LOOPBACK)}, g;
    if (got < 3 || (strcmp(proto, "udp") && strcmp(proto, "tcp")) || inet_pton(AF_INET, address, &g) != 1) {
      fprintf(stderr, "sim: net: bad forward \"%s\" (udp|tcp:HOSTPORT:GUESTPORT[@ADDRESS])\n", item);
      return -1;
    }
    if (slirp_add_hostfwd(slirp, !strcmp(proto, "udp"), h, host, g, guest) != 0) {
      fprintf(stderr, "sim: net: cannot forward %s 127.0.0.1:%d to port %d of %s: %s\n", proto, host, guest, address, strerror(errno));
      return -1;
    }
    p = end ? end + 1 : NULL;
  }
  return 0;
}

int sim_net_init(struct sim_virtio *d, const char *forwards, int threaded) {
  dev = d;
  d->device_id = 1;
  d->features = F_VERSION_1 | F_MAC;
  d->queues = 2;
  d->config_read = net_config;
  d->notify = net_notify;
  d->reset = net_reset;
  if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  SlirpConfig cfg = {.version = 1, .restricted = 0, .in_enabled = true};
  inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
  inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
  inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
  inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
  inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
  static const SlirpCb cb = {
      .send_packet = send_packet, .guest_error = guest_error, .clock_get_ns = clock_ns, .timer_new = timer_new,
      .timer_free = timer_free, .timer_mod = timer_mod, .register_poll_fd = register_fd, .unregister_poll_fd = unregister_fd,
      .notify = notify,
  };
  slirp = slirp_new(&cfg, &cb, NULL);
  if (!slirp) {
    fprintf(stderr, "sim: net: cannot start libslirp\n");
    return -1;
  }
  if (add_forwards(forwards) != 0) return -1;
  if (threaded) {
    pthread_t t;
    if (pthread_create(&t, NULL, poller, NULL) != 0) return -1;
  }
  return 0;
}

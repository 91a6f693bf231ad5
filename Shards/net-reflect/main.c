/* net-reflect: the reference the echo benchmark measures Vanity against
 * (Benchmarks/echo-bench.py, docs/performance.md). A minimal network client
 * with no TCP/IP stack: it answers ARP for its address and sends every UDP
 * datagram for port 7 straight back, headers swapped in a copy of the frame
 * (swapping addresses and ports leaves every checksum valid). Everything else
 * is dropped. Same driver, same rings, same QEMU path as the echo system:
 * the difference is lwIP and the echo shard's work. It syncs with the driver
 * once at start, as every client must (vanity/net.h), and does not follow a
 * driver restart. */
#include <vanity_shard.h>
#include <vanity/vanity.h>
#include <vanity/net.h>

#include <stdio.h>
#include <string.h>

static const uint8_t my_ip[4] = {10, 0, 2, 15};

static uint8_t *region;
static uint32_t tx_free[VANITY_NET_TX_BUFS], tx_free_count;
static uint64_t reflected, dropped, no_buffer;

static void swap(uint8_t *a, uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint8_t t = a[i];
    a[i] = b[i];
    b[i] = t;
  }
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void reclaim(void) {
  struct vanity_net_desc in[32];
  uint32_t n = vanity_try_recv_batch(&vanity_channel_tx_done, in, 32);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf;
    if (vanity_net_buffer(in[i].offset, 0, &buf) == VANITY_NET_POOL_TX && in[i].cookie == buf) tx_free[tx_free_count++] = buf;
  }
}

/* Sends `len` bytes of `frame` (copied into a tx buffer). */
static void send_frame(const uint8_t *frame, uint32_t len) {
  if (!tx_free_count) reclaim();
  if (!tx_free_count) {
    no_buffer++;
    return;
  }
  uint32_t buf = tx_free[--tx_free_count];
  uint32_t off = vanity_net_tx_buffer(buf);
  memcpy(region + off, frame, len);
  struct vanity_net_desc d = {.offset = off, .length = len, .cookie = buf};
  if (!vanity_try_send(&vanity_channel_tx, &d)) tx_free[tx_free_count++] = buf;
}

/* An ARP reply or request (gratuitous) from us. */
static void arp(const uint8_t *mac, uint16_t op, const uint8_t *to_mac, const uint8_t *to_ip) {
  uint8_t f[60] = {0};
  memcpy(f, to_mac, 6);
  memcpy(f + 6, mac, 6);
  f[12] = 0x08, f[13] = 0x06;                         /* ARP */
  f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4; /* Ethernet, IPv4 */
  f[20] = 0, f[21] = (uint8_t)op;
  memcpy(f + 22, mac, 6);
  memcpy(f + 28, my_ip, 4);
  memcpy(f + 32, op == 2 ? to_mac : (const uint8_t[6]){0}, 6);
  memcpy(f + 38, to_ip, 4);
  send_frame(f, sizeof f);
}

static void handle(const uint8_t *mac, uint8_t *f, uint32_t len) {
  if (len >= 42 && be16(f + 12) == 0x0806 && be16(f + 20) == 1 && !memcmp(f + 38, my_ip, 4)) {
    arp(mac, 2, f + 22, f + 28); /* who has 10.0.2.15? we do */
    return;
  }
  if (len < 42 || be16(f + 12) != 0x0800 || (f[14] >> 4) != 4 || f[23] != 17 || memcmp(f + 30, my_ip, 4)) {
    dropped++;
    return;
  }
  uint32_t ihl = (f[14] & 15u) * 4u;
  uint8_t *udp = f + 14 + ihl;
  if (ihl < 20 || 14 + ihl + 8 > len || be16(udp + 2) != 7) {
    dropped++;
    return;
  }
  swap(f, f + 6, 6);        /* Ethernet destination and source */
  swap(f + 26, f + 30, 4);  /* IP source and destination */
  swap(udp, udp + 2, 2);    /* UDP ports */
  send_frame(f, len);
  reflected++;
}

int main(void) {
  region = vanity_region_net_buffers.base;
  const volatile struct vanity_net_info *info = (const volatile struct vanity_net_info *)region;
  for (uint32_t i = 0; i < VANITY_NET_TX_BUFS; i++) tx_free[tx_free_count++] = i;
  while (__atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_NET_INFO_MAGIC) vanity_wait(1000000);
  /* The restart protocol's first step (vanity/net.h): we hold no rx buffer,
   * so the driver may post them all; until this SYNC it posts none. */
  struct vanity_net_info *mine = (struct vanity_net_info *)region;
  for (uint32_t i = 0; i < sizeof mine->rx_held / sizeof mine->rx_held[0]; i++) __atomic_store_n(&mine->rx_held[i], 0, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  struct vanity_net_desc sync = {.flags = VANITY_NET_F_SYNC, .cookie = 1};
  vanity_send(&vanity_channel_rx_free, &sync);
  uint8_t mac[6];
  memcpy(mac, (const void *)info->mac, 6);
  static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  arp(mac, 1, broadcast, my_ip); /* gratuitous: the host's side learns our address */
  printf("net-reflect: reflecting UDP port 7 on 10.0.2.15\n");
  uint64_t last = 0;
  for (;;) {
    struct vanity_net_desc in[32];
    uint32_t n = vanity_recv_batch(&vanity_channel_rx, in, 32);
    for (uint32_t i = 0; i < n; i++) {
      if (in[i].flags & VANITY_NET_F_SYNC) continue; /* the driver's answer: a marker, not a buffer */
      uint32_t buf;
      if (vanity_net_buffer(in[i].offset, in[i].length, &buf) == VANITY_NET_POOL_RX)
        handle(mac, region + in[i].offset, in[i].length);
      vanity_try_send(&vanity_channel_rx_free, &in[i]);
    }
    reclaim();
    if (reflected - last >= 100000) {
      last = reflected;
      printf("net-reflect: %llu reflected, %llu dropped, %llu without a tx buffer\n", (unsigned long long)reflected,
             (unsigned long long)dropped, (unsigned long long)no_buffer);
    }
  }
}

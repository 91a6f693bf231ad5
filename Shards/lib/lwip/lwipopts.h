/* lwIP's configuration for Vanity shards: the raw API without an OS
 * (NO_SYS = 1), IPv4 over Ethernet, UDP and TCP, sized for an echo server
 * that keeps up with bursts from QEMU's user networking. docs/io.md explains
 * the choices. The shard calls lwip_init(), feeds frames to netif->input,
 * and calls sys_check_timeouts() from its loop; sys_now() is the shard's
 * (milliseconds from vanity_time_ns). */
#ifndef VANITY_LWIPOPTS_H
#define VANITY_LWIPOPTS_H

/* ---- system: one thread, no OS, no locks */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0

/* ---- memory: lwIP's own heap (mem.c) for PBUF_RAM (outgoing segments,
 * copied by tcp_write) and static pools; all in the shard's bss. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (256 * 1024)
#define MEMP_NUM_PBUF 64          /* PBUF_ROM/REF headers */
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 256      /* >= TCP_SND_QUEUELEN, plus out-of-order segments */
#define MEMP_NUM_REASSDATA 8
#define MEMP_NUM_FRAG_PBUF 16
#define MEMP_NUM_ARP_QUEUE 64
#define PBUF_POOL_SIZE 64         /* received frames are custom pbufs over the DMA region; the pool is for lwIP's own use */
#define PBUF_POOL_BUFSIZE 1536
#define LWIP_SUPPORT_CUSTOM_PBUF 1 /* zero-copy receive (Shards/echo/netif.c) */

/* ---- protocols */
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 64          /* a burst to a host whose address is being resolved waits, not dropped (default 3) */
#define ETH_PAD_SIZE 0            /* the driver aligns IP headers itself (VANITY_NET_RX_FRAME_OFFSET) */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_ALTCP 0

/* ---- TCP: window and buffers. No window scaling: 16-bit windows. */
#define TCP_MSS 1460
#define TCP_WND (32 * TCP_MSS)           /* 46720 bytes advertised */
#define TCP_SND_BUF (40 * TCP_MSS)       /* 58400 bytes queued to send (fits 16 bits) */
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF) / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 2)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 64           /* out-of-order frames held: each holds an rx buffer */
#define TCP_OOSEQ_MAX_BYTES (64 * TCP_MSS)
#define LWIP_TCP_SACK_OUT 0
#define TCP_LISTEN_BACKLOG 0
#define LWIP_TCP_KEEPALIVE 0

/* ---- checksums: all in software (the driver negotiates no offloads) */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define LWIP_CHKSUM_ALGORITHM 3

/* ---- netif */
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_NETIF_TX_SINGLE_PBUF 0

/* ---- statistics and debugging: counters on, messages off */
#define LWIP_STATS 1
#define LWIP_STATS_LARGE 1        /* 32-bit counters (16-bit ones wrap within a second of traffic) */
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG 0
#define LWIP_NOASSERT 0

#endif

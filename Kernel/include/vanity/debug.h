/* The debug link protocol: the single definition shared by the kernel and
 * the host tools (vanity-build imports this header and links the same
 * Kernel/src/debug.c). docs/debug-protocol.md describes it.
 *
 * A frame on the wire (little endian):
 *   magic   2 bytes  'V' 'D'
 *   version 1 byte   VANITY_DEBUG_VERSION
 *   type    1 byte   enum vanity_debug_type
 *   id      2 bytes  request id, echoed by the reply
 *   length  2 bytes  payload bytes, at most VANITY_DEBUG_MAX_PAYLOAD
 *   payload length bytes
 *   crc     4 bytes  CRC-32 (IEEE 802.3) of everything from magic to payload
 * A receiver that sees a bad magic, version, length or CRC drops one byte
 * and looks for the next magic, so a corrupt or truncated frame never wedges
 * the link. */
#ifndef VANITY_DEBUG_H
#define VANITY_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#define VANITY_DEBUG_MAGIC0 0x56u /* 'V' */
#define VANITY_DEBUG_MAGIC1 0x44u /* 'D' */
#define VANITY_DEBUG_VERSION 1u
#define VANITY_DEBUG_HEADER_SIZE 8u
#define VANITY_DEBUG_CRC_SIZE 4u
#define VANITY_DEBUG_MAX_PAYLOAD 1024u
#define VANITY_DEBUG_MAX_FRAME (VANITY_DEBUG_HEADER_SIZE + VANITY_DEBUG_MAX_PAYLOAD + VANITY_DEBUG_CRC_SIZE)

enum vanity_debug_type {
  /* Requests (host to kernel). */
  VANITY_DEBUG_HELLO = 0x01,        /* -> struct vanity_debug_hello_reply */
  VANITY_DEBUG_PS = 0x02,           /* struct vanity_debug_ps_request -> ps reply header and records */
  VANITY_DEBUG_LOGS = 0x03,         /* struct vanity_debug_logs_request -> logs reply header and text */
  VANITY_DEBUG_RESTART = 0x04,      /* struct vanity_debug_shard_request */
  VANITY_DEBUG_HOLD = 0x05,         /* struct vanity_debug_shard_request */
  VANITY_DEBUG_RELEASE = 0x06,      /* struct vanity_debug_shard_request */
  VANITY_DEBUG_RELOAD_BEGIN = 0x07, /* struct vanity_reload_begin */
  VANITY_DEBUG_RELOAD_CHUNK = 0x08, /* struct vanity_debug_chunk_header and bytes */
  VANITY_DEBUG_RELOAD_COMMIT = 0x09, /* struct vanity_debug_commit_request -> struct vanity_reload_verdict */
  VANITY_DEBUG_STATS = 0x0a,        /* struct vanity_debug_stats_request -> stats reply header and core records */
  VANITY_DEBUG_READ = 0x0b,         /* struct vanity_debug_read_request -> struct vanity_debug_read_reply and bytes */
  VANITY_DEBUG_FAULT = 0x0c,        /* struct vanity_debug_shard_request -> struct vanity_fault_record (<vanity/syscall.h>) */
  /* Replies (kernel to host): the request's type with this bit, same id. */
  VANITY_DEBUG_REPLY = 0x80,
  /* An error reply: payload is a code (u16, enum vanity_debug_error) then text. */
  VANITY_DEBUG_ERROR = 0xff,
};

enum vanity_debug_error {
  VANITY_DEBUG_E_UNKNOWN_TYPE = 1,
  VANITY_DEBUG_E_BAD_PAYLOAD = 2,
  VANITY_DEBUG_E_NO_SUCH_SHARD = 3,
  VANITY_DEBUG_E_WRONG_BUILD = 4,
  VANITY_DEBUG_E_BAD_DIGEST = 5,
  VANITY_DEBUG_E_BAD_HMAC = 6,
  VANITY_DEBUG_E_TOO_LARGE = 7,
  VANITY_DEBUG_E_TRUNCATED = 8,
  VANITY_DEBUG_E_NOT_QUIESCENT = 9, /* the shard did not reach a quiescent point in time */
  VANITY_DEBUG_E_BUSY = 10,         /* another request for the same thing is under way */
  VANITY_DEBUG_E_BAD_IMAGE = 11,    /* the image's format or a segment's place is wrong */
  VANITY_DEBUG_E_STALE = 12,        /* signed for another boot, or not newer than the shard's running image */
  VANITY_DEBUG_E_NO_SUCH_REGION = 13, /* READ: the shard has no region of that index */
  VANITY_DEBUG_E_NOT_READABLE = 14,   /* READ: bytes of a region the link never reads (text, device, guard...) */
  VANITY_DEBUG_E_OUT_OF_RANGE = 15,   /* READ: the offset lies past the region's end */
};

/* A shard's run state, as the kernel keeps it and `ps` reports it. */
enum vanity_shard_state {
  VANITY_SHARD_STOPPED = 0,    /* not started yet */
  VANITY_SHARD_RUNNING = 1,
  VANITY_SHARD_WAITING = 2,    /* in the wait system call */
  VANITY_SHARD_HELD = 3,       /* stopped by its policy (hold, max-restarts), by exit or by the link */
  VANITY_SHARD_RESTARTING = 4, /* being restarted or reloaded */
};

/* The payloads, one struct each; every integer is little endian (so are
 * all the kernel's targets and the host tools' hosts). Text fields are
 * zero-padded, not necessarily zero-terminated. */

/* Reply to HELLO. */
struct vanity_debug_hello_reply {
  uint8_t build_id[32]; /* SHA-256 of the generated sources */
  char system[32];
  char platform[32];
  uint32_t shard_count;
  uint32_t reserved;
  uint64_t boot_id; /* differs on every boot; a reload is signed for one */
};

/* Request PS: the first shard to report (optional; 0 when absent). The
 * reply is a header and as many records as fit one frame; ask again from
 * first + count for the rest. */
struct vanity_debug_ps_request {
  uint16_t first;
};
struct vanity_debug_ps_reply {
  uint16_t first; /* id of the first record */
  uint16_t count; /* records that follow */
  uint16_t total; /* shards in the system */
  uint16_t reserved;
};
struct vanity_debug_ps_record {
  uint16_t id;
  uint8_t state; /* enum vanity_shard_state */
  uint8_t core;
  uint32_t restarts;
  uint32_t generation;
  char name[24];
  uint8_t code[8]; /* SHA-256 prefix of the last reload image; zero: the boot image */
};
#define VANITY_DEBUG_PS_PER_REPLY \
  ((VANITY_DEBUG_MAX_PAYLOAD - sizeof(struct vanity_debug_ps_reply)) / sizeof(struct vanity_debug_ps_record))

/* Request STATS: the first core to report (optional; 0 when absent). The
 * reply is a header and one record per core from `first`, as many as fit;
 * ask again from first + count for the rest. Counters run from boot. */
struct vanity_debug_stats_request {
  uint16_t first;
};
struct vanity_debug_stats_reply {
  uint16_t first; /* the first record's core */
  uint16_t count; /* records that follow */
  uint16_t total; /* cores in the system (the kernel's included) */
  uint16_t reserved;
  uint64_t now_ns; /* the kernel's clock: time since boot */
};
#define VANITY_DEBUG_NO_SHARD 0xffffu
struct vanity_debug_core_record {
  uint16_t core;
  uint16_t shard;    /* the shard it runs, VANITY_DEBUG_NO_SHARD for the kernel's core or an unused one */
  uint32_t denied;   /* the shard's denied system calls (all generations; at most 2^32 - 1) */
  uint64_t entries;  /* kernel entries on this core: system calls, faults, interrupts */
  uint64_t idle_ns;  /* time idle: waiting, or the kernel core between its rounds; a shard on a
                        shared core (one record each): the time it did not run */
  uint64_t syscalls; /* the shard's system calls (all its generations) */
};
#define VANITY_DEBUG_STATS_PER_REPLY \
  ((VANITY_DEBUG_MAX_PAYLOAD - sizeof(struct vanity_debug_stats_reply)) / sizeof(struct vanity_debug_core_record))

/* Request LOGS: log bytes wanted from `since` (counted from boot; optional,
 * 0 when absent). Reply: this header, then the text. */
struct vanity_debug_logs_request {
  uint32_t since;
};
struct vanity_debug_logs_reply {
  uint32_t first;   /* where the text starts, counted from boot */
  uint32_t total;   /* bytes logged since boot */
  uint32_t dropped; /* shard lines dropped by the log rate limit since boot */
  uint32_t reserved;
};

/* Requests RESTART, HOLD, RELEASE: one shard. Reply: empty. */
struct vanity_debug_shard_request {
  uint16_t shard;
};

/* Request READ: up to `length` bytes of one of a shard's regions (its
 * index in the shard's region list, vanity_shard_desc.regions), from
 * `offset`. Only a shard's data, stack, heap, channel-ring and shared
 * regions are read (Kernel/src/debug_server.c, readable), never a device, a guard, code
 * or the kernel's memory; with `length` 0 any region is described (its
 * header only, `readable` saying whether its bytes can be read). The bytes
 * are copied while the shard runs: a snapshot that may be torn. Reply: this
 * header, then `count` bytes (at most VANITY_DEBUG_MAX_READ). */
struct vanity_debug_read_request {
  uint16_t shard;
  uint16_t region;
  uint32_t length;
  uint64_t offset;
};
struct vanity_debug_read_reply {
  uint64_t virt;    /* the region's virtual address in the shard */
  uint64_t size;    /* its size */
  uint64_t offset;  /* where the bytes that follow start, from virt */
  uint16_t region;  /* the region's index */
  uint16_t regions; /* how many regions the shard has */
  uint16_t kind;    /* enum vanity_region_kind (<vanity/system_table.h>) */
  uint8_t perms;    /* enum vanity_perm bits */
  uint8_t readable; /* 1: READ returns its bytes */
  uint32_t count;   /* bytes that follow */
  uint32_t reserved;
};
#define VANITY_DEBUG_MAX_READ (VANITY_DEBUG_MAX_PAYLOAD - sizeof(struct vanity_debug_read_reply))

/* Request RELOAD_CHUNK: this header, then image bytes. RELOAD_BEGIN carries
 * struct vanity_reload_begin and the COMMIT reply struct
 * vanity_reload_verdict (<vanity/reload.h>). */
struct vanity_debug_chunk_header {
  uint32_t offset;
};
#define VANITY_DEBUG_MAX_CHUNK (VANITY_DEBUG_MAX_PAYLOAD - sizeof(struct vanity_debug_chunk_header))

/* Request RELOAD_COMMIT (optional; no flags when absent). */
struct vanity_debug_commit_request {
  uint32_t flags; /* VANITY_RELOAD_FORCE */
};

/* An ERROR reply: this header, then text. */
struct vanity_debug_error_reply {
  uint16_t code; /* enum vanity_debug_error */
};

_Static_assert(sizeof(struct vanity_debug_hello_reply) == 112, "hello reply");
_Static_assert(sizeof(struct vanity_debug_ps_reply) == 8, "ps reply header");
_Static_assert(sizeof(struct vanity_debug_ps_record) == 44, "ps record");
_Static_assert(sizeof(struct vanity_debug_logs_reply) == 16, "logs reply header");
_Static_assert(sizeof(struct vanity_debug_stats_reply) == 16, "stats reply header");
_Static_assert(sizeof(struct vanity_debug_core_record) == 32, "core record");
_Static_assert(sizeof(struct vanity_debug_error_reply) == 2, "error reply header");
_Static_assert(sizeof(struct vanity_debug_read_request) == 16, "read request");
_Static_assert(sizeof(struct vanity_debug_read_reply) == 40, "read reply header");

struct vanity_debug_frame {
  uint8_t type;
  uint16_t id;
  uint16_t length;
  uint8_t payload[VANITY_DEBUG_MAX_PAYLOAD];
};

/* Receiving: feed bytes one at a time; a complete, valid frame is returned
 * through `out` (return 1). Counters tell how much garbage was skipped. */
struct vanity_debug_decoder {
  uint8_t buf[VANITY_DEBUG_MAX_FRAME];
  uint32_t fill;
  uint32_t dropped;   /* bytes discarded while resynchronising */
  uint32_t rejected;  /* frames with a bad version, length or CRC */
};

void vanity_debug_decoder_init(struct vanity_debug_decoder *d);
int vanity_debug_feed(struct vanity_debug_decoder *d, uint8_t byte, struct vanity_debug_frame *out);

/* Sending: writes the frame into `wire` (at least VANITY_DEBUG_MAX_FRAME
 * bytes); returns its size, or 0 if the payload is too long. */
size_t vanity_debug_encode(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length, uint8_t *wire);

uint32_t vanity_debug_crc32(const uint8_t *data, size_t n);

#endif

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
  VANITY_DEBUG_HELLO = 0x01,        /* -> reply: build id (32 bytes) and the system's name */
  VANITY_DEBUG_PS = 0x02,           /* -> reply: one record per shard */
  VANITY_DEBUG_LOGS = 0x03,         /* -> reply: recent log text */
  VANITY_DEBUG_RESTART = 0x04,      /* payload: shard id (u16) */
  VANITY_DEBUG_HOLD = 0x05,         /* payload: shard id (u16) */
  VANITY_DEBUG_RELEASE = 0x06,      /* payload: shard id (u16) */
  VANITY_DEBUG_RELOAD_BEGIN = 0x07, /* payload: shard id, image size, build id, SHA-256, HMAC */
  VANITY_DEBUG_RELOAD_CHUNK = 0x08, /* payload: offset (u32) and bytes */
  VANITY_DEBUG_RELOAD_COMMIT = 0x09,
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
};

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

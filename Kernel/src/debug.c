/* The debug link's framing: encoder, resynchronising decoder and CRC-32.
 * Shared verbatim by the kernel and the host tools (see <vanity/debug.h>);
 * no other kernel state, so it builds anywhere. */
#include <vanity/debug.h>

uint32_t vanity_debug_crc32(const uint8_t *data, size_t n) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

size_t vanity_debug_encode(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length, uint8_t *wire) {
  if (length > VANITY_DEBUG_MAX_PAYLOAD) return 0;
  wire[0] = VANITY_DEBUG_MAGIC0;
  wire[1] = VANITY_DEBUG_MAGIC1;
  wire[2] = VANITY_DEBUG_VERSION;
  wire[3] = type;
  wire[4] = (uint8_t)id;
  wire[5] = (uint8_t)(id >> 8);
  wire[6] = (uint8_t)length;
  wire[7] = (uint8_t)(length >> 8);
  for (uint16_t i = 0; i < length; i++) wire[VANITY_DEBUG_HEADER_SIZE + i] = payload[i];
  size_t n = VANITY_DEBUG_HEADER_SIZE + length;
  uint32_t crc = vanity_debug_crc32(wire, n);
  for (int k = 0; k < 4; k++) wire[n + (size_t)k] = (uint8_t)(crc >> (8 * k));
  return n + VANITY_DEBUG_CRC_SIZE;
}

void vanity_debug_decoder_init(struct vanity_debug_decoder *d) {
  d->fill = 0;
  d->dropped = 0;
  d->rejected = 0;
}

/* Drops the first byte of the buffer and re-scans what is left for a magic. */
static void resync(struct vanity_debug_decoder *d) {
  uint32_t start = 1;
  while (start < d->fill && d->buf[start] != VANITY_DEBUG_MAGIC0) start++;
  d->dropped += start;
  for (uint32_t i = start; i < d->fill; i++) d->buf[i - start] = d->buf[i];
  d->fill -= start;
}

static uint32_t u16_at(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

int vanity_debug_feed(struct vanity_debug_decoder *d, uint8_t byte, struct vanity_debug_frame *out) {
  if (d->fill >= VANITY_DEBUG_MAX_FRAME) resync(d);
  d->buf[d->fill++] = byte;
  for (;;) {
    if (d->fill >= 1 && d->buf[0] != VANITY_DEBUG_MAGIC0) {
      resync(d);
      continue;
    }
    if (d->fill >= 2 && d->buf[1] != VANITY_DEBUG_MAGIC1) {
      resync(d);
      continue;
    }
    if (d->fill < VANITY_DEBUG_HEADER_SIZE) return 0;
    uint32_t length = u16_at(d->buf + 6);
    if (d->buf[2] != VANITY_DEBUG_VERSION || length > VANITY_DEBUG_MAX_PAYLOAD) {
      d->rejected++;
      resync(d);
      continue;
    }
    uint32_t total = VANITY_DEBUG_HEADER_SIZE + length + VANITY_DEBUG_CRC_SIZE;
    if (d->fill < total) return 0;
    uint32_t crc = (uint32_t)d->buf[total - 4] | ((uint32_t)d->buf[total - 3] << 8) | ((uint32_t)d->buf[total - 2] << 16) |
                   ((uint32_t)d->buf[total - 1] << 24);
    if (crc != vanity_debug_crc32(d->buf, total - VANITY_DEBUG_CRC_SIZE)) {
      d->rejected++;
      resync(d);
      continue;
    }
    out->type = d->buf[3];
    out->id = (uint16_t)u16_at(d->buf + 4);
    out->length = (uint16_t)length;
    for (uint32_t i = 0; i < length; i++) out->payload[i] = d->buf[VANITY_DEBUG_HEADER_SIZE + i];
    /* Keep any bytes that followed the frame. */
    for (uint32_t i = total; i < d->fill; i++) d->buf[i - total] = d->buf[i];
    d->fill -= total;
    return 1;
  }
}

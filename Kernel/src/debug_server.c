/* The kernel core's end of the debug link: decodes frames from the
 * platform's transport and answers them (docs/debug-protocol.md). Runs only
 * on the kernel core, between watchdog checks; never blocks. */
#include <vanity/debug.h>

#include "internal.h"

static void send(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length);
static void error(uint16_t id, uint16_t code, const char *text);

static struct vanity_debug_decoder decoder;
static struct vanity_debug_frame frame;
static uint8_t wire[VANITY_DEBUG_MAX_FRAME];
static uint8_t reply[VANITY_DEBUG_MAX_PAYLOAD];
static int decoder_ready;

void debug_reply(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length) {
  send((uint8_t)(type | VANITY_DEBUG_REPLY), id, payload, length);
}

void debug_error(uint16_t id, uint16_t code, const char *text) { error(id, code, text); }

static void send(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length) {
  size_t n = vanity_debug_encode(type, id, payload, length, wire);
  if (!n) return;
  klog_lock(); /* the link may share the console's line */
  platform_debug_write(wire, (uint32_t)n);
  klog_unlock();
}

static void error(uint16_t id, uint16_t code, const char *text) {
  uint16_t n = 2;
  reply[0] = (uint8_t)code;
  reply[1] = (uint8_t)(code >> 8);
  for (const char *p = text; *p && n < VANITY_DEBUG_MAX_PAYLOAD; p++) reply[n++] = (uint8_t)*p;
  send(VANITY_DEBUG_ERROR, id, reply, n);
}

static uint16_t put_str(uint16_t at, const char *s, uint16_t width) {
  uint16_t i = 0;
  for (; s[i] && i < width; i++) reply[at + i] = (uint8_t)s[i];
  for (; i < width; i++) reply[at + i] = 0;
  return (uint16_t)(at + width);
}

static uint16_t put32(uint16_t at, uint32_t v) {
  for (int k = 0; k < 4; k++) reply[at + k] = (uint8_t)(v >> (8 * k));
  return (uint16_t)(at + 4);
}

/* ps record: id u16, state u8, core u8, restarts u32, generation u32, name[24] = 36 bytes. */
#define PS_RECORD 36u

static void handle(void) {
  const struct vanity_system *sys = kstate.sys;
  uint16_t id = frame.id;
  switch (frame.type) {
  case VANITY_DEBUG_HELLO: {
    for (int i = 0; i < 32; i++) reply[i] = sys->build_id[i];
    uint16_t n = put_str(32, sys->name, 32);
    n = put_str(n, sys->platform, 32);
    n = put32(n, sys->shard_count);
    send(VANITY_DEBUG_HELLO | VANITY_DEBUG_REPLY, id, reply, n);
    return;
  }
  case VANITY_DEBUG_PS: {
    uint16_t n = 0;
    for (uint32_t i = 0; i < sys->shard_count && n + PS_RECORD <= VANITY_DEBUG_MAX_PAYLOAD; i++) {
      struct shard_state *s = &kstate.shards[i];
      reply[n] = (uint8_t)i;
      reply[n + 1] = (uint8_t)(i >> 8);
      reply[n + 2] = (uint8_t)atomic_load32(&s->run_state);
      reply[n + 3] = (uint8_t)s->core;
      put32((uint16_t)(n + 4), s->restarts);
      put32((uint16_t)(n + 8), s->generation);
      n = put_str((uint16_t)(n + 12), s->desc->name, 24);
    }
    send(VANITY_DEBUG_PS | VANITY_DEBUG_REPLY, id, reply, n);
    return;
  }
  case VANITY_DEBUG_LOGS: {
    /* payload: optional u32 `since`; reply: u32 first, u32 total, text. */
    uint32_t since = frame.length >= 4 ? (uint32_t)frame.payload[0] | (uint32_t)frame.payload[1] << 8 |
                                             (uint32_t)frame.payload[2] << 16 | (uint32_t)frame.payload[3] << 24
                                       : 0;
    uint32_t first, total;
    uint32_t n = klog_recent(since, reply + 8, VANITY_DEBUG_MAX_PAYLOAD - 8, &first, &total);
    put32(0, first);
    put32(4, total);
    send(VANITY_DEBUG_LOGS | VANITY_DEBUG_REPLY, id, reply, (uint16_t)(8 + n));
    return;
  }
  case VANITY_DEBUG_RESTART:
  case VANITY_DEBUG_HOLD:
  case VANITY_DEBUG_RELEASE: {
    if (frame.length != 2) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "expected a shard id (2 bytes)");
    uint32_t shard = (uint32_t)frame.payload[0] | ((uint32_t)frame.payload[1] << 8);
    if (shard >= sys->shard_count) return error(id, VANITY_DEBUG_E_NO_SUCH_SHARD, "no such shard");
    struct shard_state *s = &kstate.shards[shard];
    uint32_t held = atomic_load32(&s->run_state) == SHARD_HELD;
    if (frame.type == VANITY_DEBUG_RELEASE && !held) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "the shard is not held");
    if (frame.type == VANITY_DEBUG_HOLD && held) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "the shard is already held");
    uint32_t c = frame.type == VANITY_DEBUG_RESTART ? CONTROL_RESTART : frame.type == VANITY_DEBUG_HOLD ? CONTROL_HOLD : CONTROL_RELEASE;
    if (!atomic_cas32(&s->control, CONTROL_NONE, c))
      return error(id, VANITY_DEBUG_E_BUSY, "an earlier request for this shard is still pending");
    platform_kick_core(s->core);
    send((uint8_t)(frame.type | VANITY_DEBUG_REPLY), id, reply, 0);
    return;
  }
  case VANITY_DEBUG_RELOAD_BEGIN:
  case VANITY_DEBUG_RELOAD_CHUNK:
  case VANITY_DEBUG_RELOAD_COMMIT: reload_request(&frame); return;
  default: error(id, VANITY_DEBUG_E_UNKNOWN_TYPE, "unknown request type");
  }
}

uint32_t debug_poll(void) {
  if (!decoder_ready) {
    vanity_debug_decoder_init(&decoder);
    decoder_ready = 1;
  }
  uint8_t buf[256];
  uint32_t n, total = 0;
  while ((n = platform_debug_read(buf, sizeof buf)) > 0) {
    total += n;
    for (uint32_t i = 0; i < n; i++)
      if (vanity_debug_feed(&decoder, buf[i], &frame)) handle();
  }
  return total;
}

/* lwIP's compiler and platform port for Vanity shards (C17, picolibc, one
 * thread, no OS). lwIP includes it as <arch/cc.h>; the shard's
 * [libraries.lwip] puts this folder on the include path (Config/echo). */
#ifndef VANITY_LWIP_ARCH_CC_H
#define VANITY_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* picolibc has stdint.h, inttypes.h, limits.h, ctype.h and stddef.h; no
 * unistd.h is needed (lwIP only wants SSIZE_MAX from it, for sockets). */
#define LWIP_NO_UNISTD_H 1
#define SSIZE_MAX INT32_MAX

#define BYTE_ORDER LITTLE_ENDIAN /* aarch64, riscv64 and x86_64 shards are all little-endian */

/* Byte swaps in one instruction instead of def.c's shifts. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* Headers are packed structs: the compiler makes every access safe whatever
 * a frame's alignment (received frames are placed so that IP headers are
 * aligned anyway: VANITY_NET_RX_FRAME_OFFSET in <vanity/net.h>). */
#define PACK_STRUCT_FIELD(x) x
#define PACK_STRUCT_STRUCT __attribute__((packed))
#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_END

/* Diagnostics go to the shard's log (printf writes a log record per line);
 * a failed assertion ends the shard, and its supervisor policy decides. */
#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { printf("lwip: assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); abort(); } while (0)

/* TCP initial sequence numbers and the like; the shard seeds it (srand). */
#define LWIP_RAND() ((u32_t)rand())

#endif

/* SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) for the freestanding
 * kernel: it checks reload images with them. The host tools use swift-crypto;
 * the tests check this implementation against it. */
#ifndef VANITY_SHA256_H
#define VANITY_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct vanity_sha256 {
  uint32_t h[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  uint32_t fill;
};

void vanity_sha256_init(struct vanity_sha256 *s);
void vanity_sha256_update(struct vanity_sha256 *s, const uint8_t *data, size_t n);
void vanity_sha256_final(struct vanity_sha256 *s, uint8_t digest[32]);
void vanity_sha256(const uint8_t *data, size_t n, uint8_t digest[32]);
void vanity_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t n, uint8_t mac[32]);
/* Compares in time independent of where the first difference is. */
int vanity_digest_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif

/* A seeded FNV-1a hash, the shared library of the toolkit fixture. */
#ifndef CHECKSUM_CHECKSUM_H
#define CHECKSUM_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

uint32_t checksum(const void *data, size_t len);

#endif

/* Everything a shard and the host tools share with the kernel. */
#ifndef VANITY_ABI_H
#define VANITY_ABI_H
#include "caps.h"
#include "reload.h"
#include "ring.h"
#include "system_table.h"
#endif

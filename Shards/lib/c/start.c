/* Shard start-up, linked into every shard (C and Swift) on every platform:
 * the status block and the entry. On a board the kernel enters at _start;
 * in the simulator the host process's runtime calls vanity_shard_entry
 * (Platforms/sim/shard/shard.c), the one symbol a simulator shard's object
 * exports. The C library is picolibc (libc.c holds what it needs from us). */
#include <stdlib.h>
#include <vanity/vanity.h>

int main(void);

/* First in the data region (the linker script places .data.vanity_status
 * first), one per core: the kernel core reads the heartbeats for the
 * watchdog. */
__attribute__((section(".data.vanity_status"), used)) struct vanity_shard_status vanity_status[VANITY_SHARD_CORE_COUNT] = {
    [0 ... VANITY_SHARD_CORE_COUNT - 1] = {.heartbeat = 1}};

/* main's status ends the shard through exit(), which flushes stdout. */
__attribute__((noreturn)) void vanity_shard_entry(void) { exit(main()); }

__attribute__((section(".text.start"), noreturn)) void _start(void) { vanity_shard_entry(); }

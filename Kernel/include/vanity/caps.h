/* Capabilities a shard may be granted in system.toml (`caps = [...]`). The
 * names are the manifest's spelling; the bits are what the kernel checks. */
#ifndef VANITY_CAPS_H
#define VANITY_CAPS_H

enum vanity_cap {
  VANITY_CAP_LOG = 1u << 0,      /* "log": write to the kernel log */
  VANITY_CAP_TIME = 1u << 1,     /* "time": read the system clock */
  VANITY_CAP_SHUTDOWN = 1u << 2, /* "shutdown": stop the whole system with a status */
  VANITY_CAP_RELOAD = 1u << 3,   /* "reload": grants nothing (reloads come over the debug link); kept for old manifests */
  VANITY_CAP_RESTART = 1u << 4,  /* "restart": restart, hold, release shards in the caller's reach (VANITY_SYS_CONTROL) */
};

#endif

#!/usr/bin/env bash
# Fetches the third-party C libraries that shards use, from Debian's source
# packages, into build/third-party/<name>/ (git-ignored: nothing fetched is
# committed). Scripts/setup.sh runs it after Scripts/libc.sh. Idempotent: a
# fast no-op once every package is unpacked.
#
#   Scripts/third-party.sh
#
# Each package is pinned with the hashes apt's signed Sources index gives for
# its files (`apt-cache showsrc NAME`, Checksums-Sha256) and fetched, checked,
# unpacked and patched by Scripts/debian-source.sh. Its tree is
# build/third-party/<name>/source, whatever the version, so manifests can name
# it (Tests/Fixtures/systems/lz4: path = "…/build/third-party/lz4/source/lib").
#
#  - lz4 1.10.0-4 (Debian 13, trixie): LZ4 compression. Debian's two patches
#    touch only its CMake build and lib/liblz4.pc.in (the system's xxhash);
#    the library's C sources are upstream's, byte for byte (LZ4Tests checks).
#  - lwip 2.1.3+dfsg1-2 (Debian 12, bookworm): the lwIP TCP/IP stack, for the
#    echo system (Config/echo, docs/io.md). Debian's patches touch its
#    CMake build, the Unix port (port/), the socket and netconn APIs and
#    PPP's EAP; in what the echo system compiles (src/core, src/netif/
#    ethernet.c) they add only socket-option defaults to opt.h and one
#    socket #error to init.c. Vanity's port is Shards/lib/lwip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/third-party"

# name suite version orig-sha256 debian-sha256
PACKAGES=(
  "lz4 trixie 1.10.0-4 537512904744b35e232912055ccf8ec66d768639ff3abe5788d90d792ec5f48b 8d276c3254182c2c9cf319b9a6504cf257c56b441f37d3db8ad97d33d46a0911"
  "lwip bookworm 2.1.3+dfsg1-2 0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24 c5a48413d362cc757032cdd58f528f75eb64ee781ca46ca24f010b49b0e62a90"
)

for p in "${PACKAGES[@]}"; do
  read -r name suite version orig debian <<<"$p"
  "$ROOT/Scripts/debian-source.sh" --suite "$suite" --tree "$OUT/$name/source" \
    "$name" "$version" "$orig" "$debian" "$OUT/$name" >/dev/null
done

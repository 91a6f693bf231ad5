#!/usr/bin/env bash
# Benchmark (not a test): memcpy of 64 B and 1,500 B inside a shard, the
# shards' C library against the byte loop shards had before it, measured in
# the same run, on the simulator and the boards (Benchmarks/memcpy). Under
# QEMU (TCG) times are the emulator's, so compare the ratio, not the ns.
# Run: make bench-memcpy. Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PLATFORMS=${PLATFORMS:-"sim aarch64-virt riscv64-virt x86_64-pc"}
swift build --product vanity-build >/dev/null
VB=.build/debug/vanity-build
for p in $PLATFORMS; do
  echo "== $p"
  $VB run --config Benchmarks/memcpy/system.toml --platform "$p" --out build/bench-memcpy --timeout 300 2>/dev/null |
    tr -d '\r' | sed -n 's/^\[copy\] copy: /  /p'
done

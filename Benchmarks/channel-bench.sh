#!/usr/bin/env bash
# Benchmark (not a test): Vanity's channel library against
# boost::lockfree::spsc_queue, measured in the same run. Needs libboost-dev
# (not installed by Scripts/setup.sh: only this benchmark uses it).
# Run: make bench-channels. Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! dpkg-query -W -f='${Status}' libboost-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "channel-bench: needs libboost-dev: sudo apt-get install libboost-dev" >&2
  exit 2
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
clang++ -std=c++17 -O2 -pthread -I Tests/Channels/include -I Shards/lib/c/include -I Kernel/include \
  Benchmarks/channel-bench/bench.cpp -o "$tmp/bench"
"$tmp/bench"

#!/usr/bin/env bash
# Benchmark tool (not a test): compares two versions of the channel library
# run against run in one process, so that a change of a few percent shows on
# this noisy VM (Benchmarks/channel-bench/ab.cpp).
#   Benchmarks/channel-ab.sh [A [B]]
# A and B are git revisions, or "." for the working tree; the defaults are
# HEAD and ".". The benchmark's own source is the working tree's for both.
# CHANNEL_BENCH_ROUNDS, CHANNEL_BENCH_MESSAGES and CHANNEL_AB_ONLY (a part of
# a contender's name) narrow the run. Needs libboost-dev, as channel-bench.sh.
# Non-blocking one at a time is sensitive to code layout, and these side
# builds lay it out differently from channel-bench's. For that contender set
# CHANNEL_AB_PROCESSES=K instead: A's and B's ordinary channel-bench builds
# then run K times each, alternately (CHANNEL_BENCH_ROUNDS rounds a run,
# 3 unless set), and ab-summary.py compares their ratios to Boost within
# quiet and within busy spells (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! dpkg-query -W -f='${Status}' libboost-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "channel-ab: needs libboost-dev: sudo apt-get install libboost-dev" >&2
  exit 2
fi
a=${1:-HEAD} b=${2:-.}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
paths=(Kernel/include Shards/lib/c/include Tests/Channels/include)
tree() { # tree REV DIR: the library headers of REV (or the working tree) in DIR
  if [ "$1" = . ]; then
    mkdir -p "$2" && cp -r --parents "${paths[@]}" "$2"
  else
    git rev-parse --verify --quiet "$1^{commit}" >/dev/null || { echo "channel-ab: not a revision: $1" >&2; exit 2; }
    mkdir -p "$2" && git archive "$1" "${paths[@]}" | tar -x -C "$2"
  fi
}
tree "$a" "$tmp/a"
tree "$b" "$tmp/b"
build() { # build SIDE OUTPUT CLANG-ARGS...: bench.cpp against SIDE's headers
  local side=$1 out=$2; shift 2
  clang++ -std=c++17 -O2 -pthread "$@" \
    -I "$tmp/$side/Tests/Channels/include" -I "$tmp/$side/Shards/lib/c/include" -I "$tmp/$side/Kernel/include" \
    Benchmarks/channel-bench/bench.cpp -o "$out"
}
if [ -n "${CHANNEL_AB_PROCESSES:-}" ]; then
  case $CHANNEL_AB_PROCESSES in ''|*[!0-9]*|0) echo "channel-ab: CHANNEL_AB_PROCESSES must be a positive number" >&2; exit 2 ;; esac
  build a "$tmp/bench-a"
  build b "$tmp/bench-b"
  echo "A = $a, B = $b: $CHANNEL_AB_PROCESSES runs of each, alternately"
  export CHANNEL_BENCH_ROUNDS=${CHANNEL_BENCH_ROUNDS:-3}
  for i in $(seq "$CHANNEL_AB_PROCESSES"); do
    "$tmp/bench-a" > "$tmp/a.$i"
    "$tmp/bench-b" > "$tmp/b.$i"
  done
  python3 Benchmarks/channel-bench/ab-summary.py "$tmp"/a.* -- "$tmp"/b.*
  exit 0
fi
build a "$tmp/a.o" -c -DCHANNEL_BENCH_SIDE=a
build b "$tmp/b.o" -c -DCHANNEL_BENCH_SIDE=b
clang++ -std=c++17 -O2 -pthread -I Kernel/include Benchmarks/channel-bench/ab.cpp "$tmp/a.o" "$tmp/b.o" -o "$tmp/ab"
echo "A = $a, B = $b"
"$tmp/ab"

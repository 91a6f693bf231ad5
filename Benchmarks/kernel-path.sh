#!/usr/bin/env bash
# Benchmark (not a test): instructions per kernel path, counted by callgrind.
# Reference measured in the same run: an empty noinline call through the same
# harness. Run: make bench-kernel. Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=1000
command -v valgrind >/dev/null || { echo "kernel-path: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
swift run -q vanity-build generate --config Config/system.toml --platform sim --out build/demo >/dev/null
G=build/demo/sim
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
clang -std=c17 -O2 -gdwarf-4 -fno-builtin -I Kernel/include -I Kernel/src Kernel/src/*.c $G/kernel/system_table.c \
  Benchmarks/kernel-path/harness.c -o "$tmp/harness"
# Shards sharing a core: the same kernel with the shared-core test system's table.
swift run -q vanity-build generate --config Tests/Fixtures/systems/shared-core/system.toml --platform sim --out build/bench-shared >/dev/null
clang -std=c17 -O2 -gdwarf-4 -fno-builtin -I Kernel/include -I Kernel/src Kernel/src/*.c build/bench-shared/sim/kernel/system_table.c \
  Benchmarks/kernel-path/harness.c -o "$tmp/harness-shared"
count() { # function [binary] [mode] → instructions per call (inclusive)
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" --toggle-collect="$1" "$tmp/${2:-harness}" $N ${3:-} >/dev/null 2>"$tmp/vg.$1"
  local total; total=$(grep -m1 "^summary:\|^totals:" "$tmp/cg.$1" | awk '{print $2}')
  python3 -c "import sys; print(f'{int(sys.argv[1]) / int(sys.argv[2]):.0f}')" "$total" "$N"
}
echo "kernel-path: instructions per call (callgrind, $N calls each, -O2 host build of Kernel/src)"
echo "  capability check: a denied system call (kernel_syscall → dispatch → deny)  $(count denied_call)"
echo "  notify: a peer wake-up on an owned channel (kernel_syscall → notify → wake) $(count notify_call)"
echo "  wake-up: notify waking a shard that waits on a shared core (the waker's side) $(count wake_call harness-shared shared)"
echo "  switch: the woken shard's core returning to its shard picks it (scheduler, up to platform_switch) $(count switch_call harness-shared shared)"

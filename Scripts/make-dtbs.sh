#!/usr/bin/env bash
# Regenerates the committed board device trees. aarch64-virt and riscv64-virt
# are dumped from QEMU with the same machine options as the run line in their
# platform.toml; x86_64-pc has no DTB from QEMU, so its board.dts is written
# by hand and compiled with dtc.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# QEMU pads its dump to 1 MiB; dtc rewrites it compactly.
qemu-system-aarch64 -machine virt,gic-version=3,dumpdtb="$tmp/a.dtb" \
  -cpu cortex-a53 -smp 64 -m 128M -nographic >/dev/null 2>&1
dtc -q -I dtb -O dtb -o Platforms/aarch64-virt/board.dtb "$tmp/a.dtb"
qemu-system-riscv64 -machine virt,dumpdtb="$tmp/r.dtb" \
  -smp 64 -m 128M -nographic >/dev/null 2>&1
dtc -q -I dtb -O dtb -o Platforms/riscv64-virt/board.dtb "$tmp/r.dtb"
dtc -q -I dts -O dtb -o Platforms/x86_64-pc/board.dtb Platforms/x86_64-pc/board.dts
dtc -q -I dts -O dtb -o Platforms/sim/board.dtb Platforms/sim/board.dts

for p in aarch64-virt riscv64-virt x86_64-pc sim; do
  echo "Platforms/$p/board.dtb: $(stat -c %s Platforms/$p/board.dtb) bytes"
done

#!/usr/bin/env bash
# Benchmark (not a test): boots the demo on aarch64-virt several times and
# reports boot time to "all shards started", pipeline throughput, kernel
# entries per message and kernel size. Reference measured in the same run:
# QEMU booting a 3-instruction image that exits at once (the emulator's own
# start-up and tear-down cost). Run: make bench-qemu. Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
PLATFORM=${PLATFORM:-aarch64-virt}   # or riscv64-virt, x86_64-pc
OUT=build/bench
swift build -c release --product vanity-build >/dev/null
VB=.build/release/vanity-build
$VB build --config Config/system.toml --platform $PLATFORM --out $OUT >/dev/null
IMG=$OUT/$PLATFORM/image.elf
case $PLATFORM in
  aarch64-virt) QEMU=(qemu-system-aarch64 -machine virt -cpu cortex-a53 -m 128M -nographic -semihosting -smp 5) ;;
  riscv64-virt) QEMU=(qemu-system-riscv64 -machine virt -m 128M -nographic -bios default -smp 5) ;;
  x86_64-pc) QEMU=(qemu-system-x86_64 -machine q35 -cpu max -m 128M -nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -smp 5) ;;
  *) echo "qemu-bench: no run line for $PLATFORM" >&2; exit 2 ;;
esac

# Reference image: exit(0) through semihosting.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ "$PLATFORM" = x86_64-pc ]; then
# Entered through a PVH note in 32-bit protected mode; exits through
# isa-debug-exit at once (QEMU's status 3, like the kernel's status 0).
cat > "$tmp/ref.S" <<'ASM'
.section .note.pvh, "a", @note
.balign 4
.long 4, 4, 18
.asciz "Xen"
.long _start
.text
.code32
.global _start
_start: mov $1, %eax
        out %eax, $0xf4
1:      hlt
        jmp 1b
ASM
clang --target=x86_64-unknown-elf -c "$tmp/ref.S" -o "$tmp/ref.o"
printf 'PHDRS { text PT_LOAD; note PT_NOTE; }\nSECTIONS { . = 0x100000; .text : { *(.text) } :text .note : { *(.note.pvh) } :text :note }\n' > "$tmp/ref.ld"
ld.lld -T "$tmp/ref.ld" "$tmp/ref.o" -o "$tmp/ref.elf"
elif [ "$PLATFORM" = aarch64-virt ]; then
cat > "$tmp/ref.S" <<'ASM'
.global _start
_start: adr x1, blk
        mov x0, #0x18
        hlt #0xf000
.align 3
blk:    .quad 0x20026, 0
ASM
clang --target=aarch64-none-elf -c "$tmp/ref.S" -o "$tmp/ref.o"
ld.lld -Ttext=0x40200000 "$tmp/ref.o" -o "$tmp/ref.elf"
else
# SBI system reset (shutdown); linked so no header lands in OpenSBI's memory.
cat > "$tmp/ref.S" <<'ASM'
.global _start
_start: li a7, 0x53525354
        li a6, 0
        li a0, 0
        li a1, 0
        ecall
1:      j 1b
ASM
clang --target=riscv64-unknown-elf -march=rv64imac -c "$tmp/ref.S" -o "$tmp/ref.o"
printf 'SECTIONS { . = 0x80200000; .text : { *(.text) } }\n' > "$tmp/ref.ld"
ld.lld -T "$tmp/ref.ld" "$tmp/ref.o" -o "$tmp/ref.elf"
fi

now() { date +%s.%N; }
ms() { python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.3f}')" "$1" "$2"; }
python_stats() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.1f}")' "$@"; }

refs=(); boots=(); totals=(); rates=(); entries=()
for i in $(seq "$RUNS"); do
  s=$(now); "${QEMU[@]}" -kernel "$tmp/ref.elf" >/dev/null || true; e=$(now)
  refs+=("$(ms "$s" "$e")")
  s=$(now)
  log=$("${QEMU[@]}" -kernel "$IMG" | while IFS= read -r line; do
          printf '%s %s\n' "$(date +%s.%N)" "$line"; done || true)
  e=$(now)
  ready=$(echo "$log" | grep -m1 "all shards started" | cut -d' ' -f1)
  boots+=("$(ms "$s" "$ready")")
  totals+=("$(ms "$s" "$e")")
  rates+=("$(echo "$log" | sed -n 's/.*, \([0-9]*\) msg\/s).*/\1/p')")
  entries+=("$(echo "$log" | sed -n 's/.*kernel entries on all cores: \([0-9]*\).*/\1/p')")
done
echo "qemu-bench: demo on $PLATFORM, $RUNS runs (medians)"
echo "  reference: QEMU start + exit with a trivial image   $(python_stats "${refs[@]}") ms"
echo "  boot to all shards started (wall)                  $(python_stats "${boots[@]}") ms"
echo "  whole run to exit (wall)                           $(python_stats "${totals[@]}") ms"
echo "  pipeline throughput (sink's measure)               $(python_stats "${rates[@]}") msg/s"
echo "  kernel entries per message (all cores)             $(python3 -c "import statistics,sys; print(f'{statistics.median([int(x) for x in sys.argv[1:]])/20000:.4f}')" "${entries[@]}")"
echo "  kernel C lines (Kernel/src + include)              $(cat Kernel/src/*.c Kernel/src/*.h Kernel/include/vanity/*.h | wc -l)"
echo "  kernel text (kernel + platform)                     $(python3 -c "import sys; print(int(sys.argv[1], 16))" "$(readelf -lW $OUT/$PLATFORM/elf/kernel.elf | awk '/LOAD/ && $8 == "E" {print $6}')") bytes"
# Instructions to "all shards started": with -icount shift=0 the virtual
# clock advances 1 ns per instruction (single-threaded TCG).
icount=$("${QEMU[@]}" -icount shift=0 -kernel "$IMG" | sed -n 's/.*all shards started (\([0-9]*\) us after boot).*/\1/p' || true)
echo "  instructions to all shards started (-icount)       ~$((icount * 1000))"

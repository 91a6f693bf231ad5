#!/usr/bin/env bash
# Builds the shards' C library: picolibc from Debian's source package,
# compiled with the Swift toolchain's clang for every shard target, into
#   build/third-party/picolibc/<target>/{include,lib}
# (git-ignored; nothing fetched is committed). Idempotent: a fast no-op once
# every target is built with the current settings.
#
#   Scripts/libc.sh [TARGET...]     default: all of them
#
# Targets: aarch64-none-elf riscv64-unknown-elf x86_64-unknown-elf.
# Environment: VANITY_LIBC_DIR (cache folder), VANITY_LIBC_JOBS (default 2).
#
# How: picolibc's own Meson build (the upstream way; Debian's meson and
# ninja-build are installed when missing), one cross file per target made
# here. The build runs under `nice` with at most VANITY_LIBC_JOBS jobs.
#
# What the library is (see REPORT-libc.md):
#  - tinystdio; printf/scanf default to the "long-long" level (every integer
#    format, %lld %zu %jd ..., no floating point), so printf never pulls in
#    floating point. stdin/stdout/stderr are the shard runtime's FILEs.
#  - nano-malloc over sbrk(), which the shard runtime supplies.
#  - no TLS (errno is a plain global), single-threaded (no locks), no
#    semihosting, no crt0 (Vanity has its own _start).
#  - compiled with the shards' ABI flags: no FP/SIMD instruction anywhere
#    (Scripts/libc-smoke.sh checks). Floating point still compiles, as
#    soft-float (aarch64 with -mabi=aapcs-soft, riscv64 lp64, x86_64
#    -mgeneral-regs-only), so libm's functions are in libc.a (picolibc puts
#    them there; libm.a is an empty stub), but they need compiler-rt's
#    builtins (__adddf3 ...), which the Swift toolchain does not ship: a
#    shard using them fails to link until those exist. x86_64 without x87
#    has no long double at all: the few sources that need one are left out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${VANITY_LIBC_DIR:-$ROOT/build/third-party/picolibc}"
JOBS="${VANITY_LIBC_JOBS:-2}"

# The source package: Debian 13 (trixie). Pinned, with the hashes apt's
# signed Sources index gives for it.
SUITE=trixie
PICOLIBC_VERSION=1.8.10
DEBIAN_REVISION=2
ORIG_SHA256=d1fc2a20f217472f8d9da084a519a25678e8d91852a41c7f3f1840d3508f7163
DEBIAN_SHA256=c226741263f60475b07eadcb56df771ca84a7518fc5e8403253457d72550cbb8
# Scripts/debian-source.sh unpacks it here (tarballs in $OUT/src).
SRC="$OUT/src/picolibc-${PICOLIBC_VERSION}-${DEBIAN_REVISION}"

ALL_TARGETS=(aarch64-none-elf riscv64-unknown-elf x86_64-unknown-elf)
COMMON_FLAGS=(-ffreestanding -fno-pic -fno-stack-protector)
MESON_OPTIONS=(
  -Dbuildtype=debugoptimized  # -O2 -g: the optimised string functions, not the size ones
  -Dmultilib=false -Dtests=false -Dsemihost=false -Dpicocrt=false -Dpicocrt-lib=false
  -Dtinystdio=true -Dformat-default=long-long -Dposix-console=false
  -Dthread-local-storage=false -Dsingle-thread=true
  -Dspecsdir=none
)

X86_NO_LONG_DOUBLE="-U__SIZEOF_LONG_DOUBLE__ -U__LDBL_MANT_DIG__"
# Sources left out per target: those clang cannot compile for it (they use
# long double unconditionally) or that would run FP instructions. A shard
# calling one fails to link.
# Paths under newlib/.
EXCLUDE_aarch64_none_elf=()
EXCLUDE_riscv64_unknown_elf=()
# x86_64 also leaves out fenv.c: its fe* functions are x87/SSE instructions.
EXCLUDE_x86_64_unknown_elf=(
  libc/tinystdio/{atold_engine,ldtoa_engine,gcvtl,strfroml,strtod,strtof,wcstod,wcstof}.c
  libc/tinystdio/{vfscanf,vffscanf,vfwscanf}.c libm/ld/math_errl_divzerol.c libm/machine/x86/fenv.c
)

# Machine sources replaced by picolibc's generic C version, per target.
# x86_64: its memcpy.S and memset.S handle 256 bytes or more with
# non-temporal stores (movnti), past the cache. A shard copies messages that
# it or its peer reads next: measured in a shard, a 1,500-byte copy took
# 1.17 us that way and 69 ns with the generic C memcpy (docs/performance.md).
GENERIC_aarch64_none_elf=()
GENERIC_riscv64_unknown_elf=()
GENERIC_x86_64_unknown_elf=(x86/memcpy.S x86/memset.S)

# target → "cpu_family|clang flags" (the shards' flags; Platforms/*/platform.toml).
target_info() {
  case "$1" in
    aarch64-none-elf) echo "aarch64|--target=aarch64-none-elf -mgeneral-regs-only -mabi=aapcs-soft" ;;
    riscv64-unknown-elf) echo "riscv64|--target=riscv64-unknown-elf -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany" ;;
    # Without x87 clang has no long double at all: picolibc is told so.
    x86_64-unknown-elf) echo "x86_64|--target=x86_64-unknown-elf -mno-red-zone -mgeneral-regs-only $X86_NO_LONG_DOUBLE" ;;
    *) echo "libc: unknown target $1 (known: ${ALL_TARGETS[*]})" >&2; return 1 ;;
  esac
}

log() { echo "libc: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

CLANG="$(command -v clang || true)"
[ -n "$CLANG" ] || { log "clang (the Swift toolchain's) is not on PATH"; exit 1; }
TOOLBIN="$(dirname "$(readlink -f "$CLANG")")"

# What a built target depends on: a change in any of these rebuilds it.
key_of() {
  local info flags excl="EXCLUDE_${1//-/_}[@]"
  local excluded=("${!excl}")
  info="$(target_info "$1")"; flags="${info#*|}"
  printf '%s\n' "picolibc ${PICOLIBC_VERSION}-${DEBIAN_REVISION} $ORIG_SHA256" "$flags ${COMMON_FLAGS[*]}" \
    "${MESON_OPTIONS[*]}" "excluded: ${excluded[*]}" "$("$CLANG" --version | head -1)" "format 1"
  local gen="GENERIC_${1//-/_}[@]"
  local generic=("${!gen}")
  [ ${#generic[@]} -eq 0 ] || echo "generic: ${generic[*]}"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
pending() {
  todo=()
  local t
  for t in "${targets[@]}"; do
    if [ -f "$OUT/$t/.built" ] && [ "$(cat "$OUT/$t/.built")" = "$(key_of "$t")" ]; then continue; fi
    todo+=("$t")
  done
  [ ${#todo[@]} -gt 0 ]
}
pending || exit 0
# One build at a time (two builds of the repository may start together).
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
pending || exit 0

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

# meson and ninja, from Debian, like Scripts/setup.sh.
if ! command -v meson >/dev/null 2>&1 || ! command -v ninja >/dev/null 2>&1; then
  log "installing meson ninja-build"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends meson ninja-build >/dev/null
fi

build() {
  local t="$1" info family flags t0
  info="$(target_info "$t")"; family="${info%%|*}"; flags="${info#*|}"
  local work="$OUT/build/$t" logs="$OUT/logs"
  rm -rf "$work" "$OUT/$t.new" "$OUT/logs/$t.excluded"
  mkdir -p "$work" "$logs"
  {
    echo "[binaries]"
    printf "c = ['%s'" "$CLANG"
    for f in $flags "${COMMON_FLAGS[@]}" -nostdlib; do printf ", '%s'" "$f"; done
    echo "]"
    echo "ar = '$TOOLBIN/llvm-ar'"
    echo "nm = '$TOOLBIN/llvm-nm'"
    echo
    echo "[host_machine]"
    echo "system = 'none'"
    echo "cpu_family = '$family'"
    echo "cpu = '$family'"
    echo "endian = 'little'"
    echo
    echo "[properties]"
    echo "skip_sanity_check = true"
  } >"$work/cross.txt"
  # This target's machine sources that the generic C versions replace:
  # taken out of the machine folder's list in this build's own copy of the
  # tree (the sources themselves are not touched; other targets keep theirs).
  local gen="GENERIC_${t//-/_}[@]" src="$SRC" g
  local generic=("${!gen}")
  if [ ${#generic[@]} -gt 0 ]; then
    src="$work/src"
    cp -R "$SRC" "$src"
    for g in "${generic[@]}"; do
      sed -i "/'${g#*/}',/d" "$src/newlib/libc/machine/${g%%/*}/meson.build"
    done
  fi
  t0="$(now)"
  meson setup --cross-file "$work/cross.txt" "${MESON_OPTIONS[@]}" --prefix=/ -Dincludedir=include -Dlibdir=lib \
    "$src" "$work/meson" >"$logs/$t.setup.log" 2>&1 || { log "meson setup failed for $t: $logs/$t.setup.log"; tail -20 "$logs/$t.setup.log" >&2; exit 1; }
  local m="$work/meson" excl="EXCLUDE_${t//-/_}[@]"
  local excluded=("${!excl}")
  failed() { log "build failed for $t: $logs/$t.build.log"; grep -m 20 -E "error|FAILED" "$logs/$t.build.log" >&2; exit 1; }
  if [ ${#excluded[@]} -eq 0 ]; then
    nice -n 10 ninja -C "$m" -j "$JOBS" >"$logs/$t.build.log" 2>&1 || failed
  else
    # libc.a without the excluded objects (meson's objects are named
    # <path under newlib/ with / as _>.o), then everything else installed.
    local objs=() keep=() o e
    local -A skip=()
    for e in "${excluded[@]}"; do skip["${e//\//_}.o"]=1; done
    mapfile -t objs < <(ninja -C "$m" -t query newlib/libc.a | awk '/^  input:/ { f = 1; next } /^  outputs:/ { f = 0 } f { print $1 }')
    for o in "${objs[@]}"; do
      if [ -n "${skip[${o##*/}]:-}" ]; then unset "skip[${o##*/}]"; else keep+=("$o"); fi
    done
    [ ${#skip[@]} -eq 0 ] || { log "$t: excluded sources not in libc.a (update the list): ${!skip[*]}"; exit 1; }
    nice -n 10 ninja -C "$m" -j "$JOBS" "${keep[@]}" >"$logs/$t.build.log" 2>&1 || failed
    (cd "$m" && rm -f newlib/libc.a && "$TOOLBIN/llvm-ar" rcs newlib/libc.a "${keep[@]}")
    local rest=()
    mapfile -t rest < <(meson introspect --installed "$m" | python3 -c '
import json, os, sys
build = sys.argv[1] + "/"
for path in json.load(sys.stdin):
    # Build outputs (configure_file outputs exist already).
    if path.startswith(build) and not path.endswith("/newlib/libc.a") and not os.path.exists(path):
        print(path[len(build):])' "$m")
    [ ${#rest[@]} -eq 0 ] || nice -n 10 ninja -C "$m" -j "$JOBS" "${rest[@]}" >>"$logs/$t.build.log" 2>&1 || failed
    printf '%s\n' "${excluded[@]}" >"$logs/$t.excluded"
  fi
  DESTDIR="$OUT/$t.new" meson install -C "$work/meson" --no-rebuild --quiet >"$logs/$t.install.log" 2>&1 \
    || { log "meson install failed for $t: $logs/$t.install.log"; exit 1; }
  [ ! -f "$logs/$t.excluded" ] || cp "$logs/$t.excluded" "$OUT/$t.new/lib/excluded-sources.txt"
  key_of "$t" >"$OUT/$t.new/.built"
  rm -rf "$OUT/$t"
  mv "$OUT/$t.new" "$OUT/$t"
  rm -rf "$work"
  log "built $t in $(since "$t0"): $(du -k "$OUT/$t/lib/libc.a" | cut -f1) KiB libc.a"
}

# The source package, fetched, checked and patched (the tree is $SRC).
"$ROOT/Scripts/debian-source.sh" --suite "$SUITE" picolibc "${PICOLIBC_VERSION}-${DEBIAN_REVISION}" \
  "$ORIG_SHA256" "$DEBIAN_SHA256" "$OUT" >/dev/null
for t in "${todo[@]}"; do build "$t"; done

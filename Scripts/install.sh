#!/usr/bin/env bash
# Installs vanity-build and what it builds systems from:
#   PREFIX/bin/vanity-build
#   PREFIX/share/vanity/{Platforms,Kernel,Shards/lib}
#   PREFIX/share/vanity/build/third-party/picolibc/<target>  (the shards' C library)
# The installed vanity-build finds share/vanity beside its bin/ folder
# (docs/projects.md). Usage:
#   Scripts/install.sh --prefix PREFIX [--binary PATH]
# Without --binary it builds the release binary first (swift build -c release);
# --binary installs one already built (the tests install the debug build).
set -euo pipefail

usage() { echo "usage: Scripts/install.sh --prefix PREFIX [--binary PATH]" >&2; exit 64; }
prefix="" binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#--binary=}"; shift ;;
    -h|--help) usage ;;
    *) echo "install: unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "$prefix" ] || usage

repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "$binary" ]; then
  (cd "$repo" && swift build -c release --product vanity-build)
  binary="$(cd "$repo" && swift build -c release --show-bin-path)/vanity-build"
fi
[ -x "$binary" ] || { echo "install: $binary is not an executable" >&2; exit 66; }

mkdir -p "$prefix/bin" "$prefix/share"
prefix="$(cd "$prefix" && pwd)"
share="$prefix/share/vanity"

# Staged beside the old copy and swapped in, so an interrupted install leaves
# the previous one whole.
stage="$share.new.$$"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/Shards"
cp -R "$repo/Platforms" "$repo/Kernel" "$stage/"
cp -R "$repo/Shards/lib" "$stage/Shards/"
# The shards' C library, built (once) by Scripts/libc.sh: headers and archive per target.
"$repo/Scripts/libc.sh"
libc="${VANITY_LIBC_DIR:-$repo/build/third-party/picolibc}"
for t in "$libc"/*/; do
  [ -f "$t/lib/libc.a" ] || continue
  mkdir -p "$stage/build/third-party/picolibc/$(basename "$t")"
  cp -R "$t/include" "$t/lib" "$stage/build/third-party/picolibc/$(basename "$t")/"
done
rm -rf "$share"
mv "$stage" "$share"

install -m 0755 "$binary" "$prefix/bin/vanity-build.new.$$"
mv -f "$prefix/bin/vanity-build.new.$$" "$prefix/bin/vanity-build"

echo "install: $prefix/bin/vanity-build"
echo "install: $share/ (Platforms/, Kernel/, Shards/lib, the shards' C library)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "install: $prefix/bin is not on your PATH; add it, e.g. export PATH=\"$prefix/bin:\$PATH\"" ;;
esac

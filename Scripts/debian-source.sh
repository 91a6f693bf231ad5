#!/usr/bin/env bash
# Fetches a Debian source package, checks it against pinned SHA-256 hashes,
# unpacks it and applies Debian's patches (as dpkg-source -x does). Used by
# Scripts/libc.sh (picolibc) and Scripts/third-party.sh (lz4); nothing it
# fetches is committed. Idempotent: a fast no-op once the tree is unpacked.
#
#   Scripts/debian-source.sh [--suite SUITE] [--tree DIR] [--no-patches] \
#       NAME VERSION ORIG_SHA256 [DEBIAN_SHA256] DEST
#
# NAME, VERSION: the source package and its Debian version (1.8.10-2). With
#   DEBIAN_SHA256 the package has an upstream tarball
#   (NAME_UPSTREAM.orig.tar.*, ORIG_SHA256) and a Debian one
#   (NAME_VERSION.debian.tar.*, DEBIAN_SHA256); without, it is a native
#   package: one tarball NAME_VERSION.tar.* (ORIG_SHA256).
# Hashes: the ones apt's signed Sources index gives for the files
#   (`apt-cache showsrc NAME`, Checksums-Sha256).
# DEST: the package's cache folder. The tarballs go to DEST/src, apt's
#   private configuration (sources, lists, cache) to DEST/apt (the
#   system's is not touched; the lists are removed after the fetch), the
#   unpacked tree to DEST/src/NAME-VERSION unless --tree says where.
# --suite: the Debian suite to fetch from (default trixie).
# --no-patches: unpack the upstream tarball only (debian/ is still added).
#
# Prints the unpacked tree's path on standard output; logs go to standard
# error. Needs apt-get and debian-archive-keyring (Scripts/setup.sh).
set -euo pipefail

SUITE=trixie
TREE=""
PATCHES=1
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) SUITE="$2"; shift 2 ;;
    --tree) TREE="$2"; shift 2 ;;
    --no-patches) PATCHES=0; shift ;;
    --) shift; break ;;
    -*) echo "debian-source: unknown option $1" >&2; exit 64 ;;
    *) break ;;
  esac
done
case $# in
  4) NAME="$1" VERSION="$2" ORIG_SHA256="$3" DEBIAN_SHA256="" DEST="$4" ;;
  5) NAME="$1" VERSION="$2" ORIG_SHA256="$3" DEBIAN_SHA256="$4" DEST="$5" ;;
  *) sed -n '7,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64 ;;
esac
for h in "$ORIG_SHA256" ${DEBIAN_SHA256:+"$DEBIAN_SHA256"}; do
  [[ "$h" =~ ^[0-9a-f]{64}$ ]] || { echo "debian-source: not a SHA-256: $h" >&2; exit 64; }
done

log() { echo "debian-source: $NAME: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

DL="$DEST/src"
APT="$DEST/apt"
[ -n "$TREE" ] || TREE="$DL/$NAME-$VERSION"
# The upstream version (the epoch is not in file names).
NOEPOCH="${VERSION#*:}"
if [ -n "$DEBIAN_SHA256" ]; then
  ORIG_GLOB="${NAME}_${NOEPOCH%-*}.orig.tar.*"
  DEBIAN_GLOB="${NAME}_${NOEPOCH}.debian.tar.*"
else
  ORIG_GLOB="${NAME}_${NOEPOCH}.tar.*"
  DEBIAN_GLOB=""
fi
# What the tree was unpacked from: another version, hash or patch choice
# unpacks it again.
KEY="$NAME $VERSION $ORIG_SHA256 ${DEBIAN_SHA256:-native} patches=$PATCHES"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
# The one file in DL matching a glob, if it has the hash.
found() {
  local files=()
  mapfile -t files < <(cd "$DL" 2>/dev/null && compgen -G "$1" | grep -v '\.asc$' || true)
  [ ${#files[@]} -eq 1 ] && sha_ok "$DL/${files[0]}" "$2" && echo "$DL/${files[0]}"
}
unpacked() { [ -f "$TREE/.unpacked" ] && [ "$(cat "$TREE/.unpacked")" = "$KEY" ]; }

if unpacked; then echo "$TREE"; exit 0; fi
mkdir -p "$DL"
# One fetch at a time per package (two builds may start together).
exec 8>"$DL/.lock"
flock 8
if unpacked; then echo "$TREE"; exit 0; fi

# Fetches the source package into DL with a private apt configuration.
fetch() {
  if found "$ORIG_GLOB" "$ORIG_SHA256" >/dev/null && { [ -z "$DEBIAN_GLOB" ] || found "$DEBIAN_GLOB" "$DEBIAN_SHA256" >/dev/null; }; then
    return
  fi
  local t0; t0="$(now)"
  mkdir -p "$APT/sources" "$APT/lists/partial" "$APT/cache/archives/partial"
  cat >"$APT/sources/$NAME.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$APT/sources"
    -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o APT::Sandbox::User="$(id -un)")
  apt-get -qq "${opts[@]}" update
  # apt checks each file against the signed index. Some mirrors lack the
  # .dsc while serving the tarballs: the pinned hashes are what counts.
  local rc=0
  (cd "$DL" && apt-get -qq "${opts[@]}" source --download-only "$NAME=$VERSION" >/dev/null 2>"$APT/source.log") || rc=$?
  found "$ORIG_GLOB" "$ORIG_SHA256" >/dev/null || { log "no $ORIG_GLOB with SHA-256 $ORIG_SHA256"; cat "$APT/source.log" >&2; exit 1; }
  [ -z "$DEBIAN_GLOB" ] || found "$DEBIAN_GLOB" "$DEBIAN_SHA256" >/dev/null \
    || { log "no $DEBIAN_GLOB with SHA-256 $DEBIAN_SHA256"; cat "$APT/source.log" >&2; exit 1; }
  [ $rc -eq 0 ] || log "apt-get source failed ($(grep -m1 '^E:' "$APT/source.log" || echo "status $rc")), but the tarballs match their hashes"
  rm -rf "$APT/lists" "$APT/cache" # the indexes (20 MB), not needed once the tarballs are here
  log "fetched $VERSION from $SUITE in $(since "$t0")"
}

# Unpacks the upstream tarball and the Debian one, then applies the patches
# of debian/patches/series in order.
unpack() {
  local tmp="$TREE.tmp" t0 orig debian
  t0="$(now)"
  orig="$(found "$ORIG_GLOB" "$ORIG_SHA256")"
  rm -rf "$tmp" "$TREE"
  mkdir -p "$tmp"
  tar -xf "$orig" -C "$tmp" --strip-components=1
  if [ -n "$DEBIAN_GLOB" ]; then
    debian="$(found "$DEBIAN_GLOB" "$DEBIAN_SHA256")"
    tar -xf "$debian" -C "$tmp"
    if [ $PATCHES -eq 1 ] && [ -f "$tmp/debian/patches/series" ]; then
      grep -v '^\s*#' "$tmp/debian/patches/series" | while read -r p _; do
        [ -n "$p" ] && patch -d "$tmp" -p1 -s --no-backup-if-mismatch <"$tmp/debian/patches/$p"
      done
    fi
  fi
  echo "$KEY" >"$tmp/.unpacked"
  mv "$tmp" "$TREE"
  log "unpacked$([ $PATCHES -eq 1 ] && [ -n "$DEBIAN_GLOB" ] && echo " and patched") into $TREE in $(since "$t0")"
}

fetch
unpack
echo "$TREE"

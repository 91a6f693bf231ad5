#!/usr/bin/env bash
# Installs the Debian packages Vanity needs, then builds the shards' C
# library (Scripts/libc.sh: picolibc from Debian's source package, cached
# under build/third-party) and fetches the third-party C libraries shards use
# (Scripts/third-party.sh: lz4). Idempotent: a fast no-op when everything is
# already there. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  libfdt-dev            # device trees, read by vanity-build (libfdt)
  libelf-dev            # ELF inspection of built images (libelf)
  libdw-dev             # DWARF line tables: fault lines name the shard's function and source line (libdw)
  libtomlplusplus-dev   # TOML with exact source positions (toml++)
  device-tree-compiler  # dtc: the x86_64-pc board description
  pkg-config
  libslirp-dev          # the simulator's network device (QEMU's user networking as a library)
  qemu-system-arm       # qemu-system-aarch64
  qemu-system-misc      # qemu-system-riscv64
  qemu-system-x86       # qemu-system-x86_64
  meson ninja-build     # the shards' C library's build (Scripts/libc.sh)
  debian-archive-keyring  # checks the Debian source packages (C library, third-party)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# What comes from Debian's source packages, once the packages are there.
sources() {
  "$(dirname "$0")/libc.sh"
  "$(dirname "$0")/third-party.sh"
}

if [ ${#missing[@]} -eq 0 ]; then
  sources
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
sources

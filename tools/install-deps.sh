#!/bin/bash
# Install the Debian packages that building and testing spmd needs.
# Idempotent; needs root (or sudo) and Debian bookworm or newer.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev scdoc
        libsystemd-dev libudev-dev libdaxctl-dev libndctl-dev libcgroup-dev
        libnuma-dev libinih-dev
        # simulated kernel and integration tests
        libfuse3-dev fuse3 umockdev libumockdev-dev gir1.2-umockdev-1.0 daxctl
        dbus dbus-bin systemd util-linux python3-dbusmock python3-gi
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
        echo "All build and test packages are installed."
        exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

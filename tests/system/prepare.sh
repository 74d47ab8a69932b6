#!/usr/bin/env bash
# Set-up for `make systemd-test`: a Debian root file system with systemd (cached) and
# a wheelhouse of syncd and its dependencies, both under $CACHE. Network is used here,
# never by the tests. Without root nothing is prepared and the tests say why.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${SYNCD_SYSTEM_CACHE:-.cache/systemd-test}
PIP=${PIP:-.venv/bin/pip}
# Bump when the package list changes so a stale cache is not reused.
ROOTFS=$CACHE/rootfs-bookworm-2

if [ "$(id -u)" != 0 ]; then
    echo "systemd-test: not root, so no container can be built; the tests will say so" >&2
    exit 0
fi
command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null || {
    apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap systemd-container
}
mkdir -p "$CACHE"
if [ ! -e "$ROOTFS/.complete" ]; then
    rm -rf "$ROOTFS.partial"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libpam-systemd,python3,python3-venv \
        bookworm "$ROOTFS.partial" http://deb.debian.org/debian
    touch "$ROOTFS.partial/.complete"
    rm -rf "$ROOTFS"
    mv "$ROOTFS.partial" "$ROOTFS"
fi
rm -rf "$CACHE/wheels"
"$PIP" wheel --quiet --wheel-dir "$CACHE/wheels" .

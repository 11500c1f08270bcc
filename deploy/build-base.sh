#!/usr/bin/env bash
# Build the Debian base image `localhost/bookworm-min` with debootstrap, for machines that
# cannot pull `python:3.11-slim` from a registry. Does nothing when the image already exists.
#   deploy/build-base.sh            (root; needs podman, runc, debootstrap)
# Then: podman build --build-arg BASE=localhost/bookworm-min -t pmo_saas .
set -euo pipefail

TAG="${PMO_BASE_TAG:-localhost/bookworm-min}"
ROOTFS="${PMO_BASE_ROOTFS:-/var/tmp/pmo-base/rootfs}"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

if podman image exists "$TAG"; then
  echo "base image $TAG exists"
  exit 0
fi
# The mirror apt already uses (no other route out may exist).
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$ROOTFS" "$mirror"
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
fi
tar -C "$ROOTFS" -c . | podman import - "$TAG"
echo "base image $TAG built from $mirror"

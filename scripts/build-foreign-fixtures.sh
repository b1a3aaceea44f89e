#!/usr/bin/env bash
# Build the cached registries of foreign-architecture images the platform tests serve on
# 127.0.0.1 (test/helpers/registry.ts, startRegistry({ fixture: … })). Two sets, each its
# own registry storage and .complete marker, so the cheap one never waits for the slow one:
#
#   build-foreign-fixtures.sh busybox   $CACHE/foreign/registry (~20 s: one download)
#       racker/multiarch:latest    an index: linux/amd64 and linux/arm64 busybox-static
#       racker/amd64only:latest    the amd64 one alone, a single-platform manifest
#   build-foreign-fixtures.sh debian    $CACHE/foreign-debian/registry (minutes: every
#       maintainer script of an arm64 Debian runs under qemu; 9 min on a loaded 2-core machine)
#       racker/debian:bookworm     an index with linux/arm64 only: minbase + systemd, dbus
#
#   RACKER_FIXTURES       cache dir (default /var/cache/racker-fixtures)
#   RACKER_DEBIAN_MIRROR  optional Debian mirror URL for mmdebstrap
#
# Runs as root and is idempotent; built in $CACHE/.foreign-build-* and renamed into place
# last, so a killed build never leaves something that looks complete. The arm64 Debian
# needs qemu-user-static registered with binfmt_misc (scripts/setup.sh --with-foreign).
set -euo pipefail

SET=${1:-}
case "$SET" in
  busybox) NAME=foreign ;;
  debian) NAME=foreign-debian ;;
  *) echo "usage: build-foreign-fixtures.sh busybox|debian" >&2; exit 2 ;;
esac
CACHE=${RACKER_FIXTURES:-/var/cache/racker-fixtures}
REG=$CACHE/$NAME/registry
[[ -e $REG/.complete ]] && { echo "fixtures: $NAME cached in $CACHE"; exit 0; }

die() { echo "build-foreign-fixtures: $*" >&2; exit 1; }
log() { echo "build-foreign-fixtures: [${SECONDS}s] $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing $1 (apt-get install $2)"; }
need mmdebstrap mmdebstrap
need umoci umoci
need skopeo skopeo
need docker-registry docker-registry
need curl curl
need jq jq
need ss iproute2
[[ $EUID -eq 0 ]] || die "must run as root"
[[ -f /usr/bin/busybox ]] || [[ -f /bin/busybox ]] || die "missing busybox-static (apt-get install busybox-static)"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-$NAME"
flock 9
[[ -e $REG/.complete ]] && { echo "fixtures: $NAME cached in $CACHE"; exit 0; }
rm -rf --one-file-system "$CACHE"/.foreign-build-"$NAME".* "$CACHE/$NAME"

WORK=$(mktemp -d "$CACHE/.foreign-build-$NAME.XXXXXX") # not .build-*: build-fixtures.sh clears those
OCI=$WORK/oci
REGISTRY_PID=
cleanup() {
  if [[ -n $REGISTRY_PID ]]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

umoci init --layout "$OCI"
mirror=()
[[ -n ${RACKER_DEBIAN_MIRROR:-} ]] && mirror=("$RACKER_DEBIAN_MIRROR")

# An image in the layout from a root directory, its config naming ARCH.
image_from() { # TAG ARCH ROOTDIR [umoci config flags…]
  local tag=$1 arch=$2 root=$3
  shift 3
  umoci new --image "$OCI:$tag"
  umoci unpack --image "$OCI:$tag" "$WORK/bundle-$tag" >/dev/null
  cp -a "$root/." "$WORK/bundle-$tag/rootfs/"
  umoci repack --image "$OCI:$tag" "$WORK/bundle-$tag"
  umoci config --image "$OCI:$tag" --architecture="$arch" --os=linux "$@"
  rm -rf --one-file-system "$WORK/bundle-$tag"
}

# An OCI image index over layout tags, itself tagged INDEX_TAG in the layout.
index_of() { # INDEX_TAG ARCH=TAG…
  local index_tag=$1 entries='[]' pair arch tag desc
  shift
  for pair in "$@"; do
    arch=${pair%%=*} tag=${pair#*=}
    desc=$(jq -c --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | del(.annotations)' "$OCI/index.json")
    entries=$(jq -c --argjson d "$desc" --arg a "$arch" '. + [$d + {platform: {architecture: $a, os: "linux"}}]' <<<"$entries")
  done
  jq -c -n --argjson m "$entries" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: $m}' >"$WORK/index.json"
  local digest size
  digest=$(sha256sum "$WORK/index.json" | cut -d' ' -f1)
  size=$(stat -c %s "$WORK/index.json")
  mv "$WORK/index.json" "$OCI/blobs/sha256/$digest"
  jq --arg d "sha256:$digest" --argjson s "$size" --arg t "$index_tag" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": $t}}]' \
    "$OCI/index.json" >"$WORK/layout-index.json"
  mv "$WORK/layout-index.json" "$OCI/index.json"
}

busybox_root() { # DIR BUSYBOX
  mkdir -p "$1/bin" "$1/etc" "$1/proc" "$1/sys" "$1/dev" "$1/tmp"
  chmod 1777 "$1/tmp"
  install -m 755 "$2" "$1/bin/busybox"
  local applet
  for applet in sh cat echo ls true false env id sleep uname; do ln -s busybox "$1/bin/$applet"; done
}

PUSH=()
case "$SET" in
  busybox)
    # The arm64 binary from the Debian archive: extracted only (no maintainer scripts, no emulator).
    log "arm64 busybox-static from the archive"
    setpriv --pdeathsig KILL mmdebstrap --quiet --variant=extract --architectures=arm64 --include=busybox-static \
      bookworm "$WORK/arm64-extract" "${mirror[@]}" </dev/null
    busybox_root "$WORK/bb-arm64" "$WORK/arm64-extract/bin/busybox"
    busybox_root "$WORK/bb-amd64" "$(command -v busybox)"
    image_from bb-arm64 arm64 "$WORK/bb-arm64" --config.env=PATH=/bin --config.cmd=/bin/sh
    image_from bb-amd64 amd64 "$WORK/bb-amd64" --config.env=PATH=/bin --config.cmd=/bin/sh
    index_of multiarch amd64=bb-amd64 arm64=bb-arm64
    PUSH=("multiarch racker/multiarch:latest" "bb-amd64 racker/amd64only:latest")
    ;;
  debian)
    log "mmdebstrap --architectures=arm64 bookworm (the slow part: maintainer scripts under qemu)"
    setpriv --pdeathsig KILL unshare --mount --propagation private \
      mmdebstrap --quiet --variant=minbase --architectures=arm64 --include=systemd,systemd-sysv,dbus \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
        bookworm "$WORK/debian" "${mirror[@]}" </dev/null
    image_from debian-arm64 arm64 "$WORK/debian" \
      --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd=bash
    rm -rf --one-file-system "$WORK/debian"
    index_of debian arm64=debian-arm64
    PUSH=("debian racker/debian:bookworm")
    ;;
esac

. "$(dirname "$0")/lib/build-registry.sh"
start_build_registry
for entry in "${PUSH[@]}"; do
  read -r tag ref <<<"$entry"
  log "push $ref"
  # --all: an index goes with every image it lists; --format oci: never converted.
  skopeo --insecure-policy copy --quiet --all --format oci --dest-tls-verify=false "oci:$OCI:$tag" "docker://127.0.0.1:$PORT/$ref"
  echo "$ref" >>"$WORK/registry/images.txt"
done
kill "$REGISTRY_PID"
wait "$REGISTRY_PID" 2>/dev/null || true
REGISTRY_PID=

sync -f "$WORK/registry/storage" 2>/dev/null || true
touch "$WORK/registry/.complete"
mkdir -p "$CACHE/$NAME"
mv -T "$WORK/registry" "$REG"
echo "fixtures: $NAME built in $CACHE in ${SECONDS}s ($(du -sh "$REG" | cut -f1))"

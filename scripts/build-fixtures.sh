#!/usr/bin/env bash
# Build the cached local OCI registry that integration tests serve on 127.0.0.1.
#
#   RACKER_FIXTURES       cache dir (default /var/cache/racker-fixtures)
#   RACKER_DEBIAN_MIRROR  optional Debian mirror URL for mmdebstrap
#
# Result: $CACHE/registry/storage (docker-registry filesystem storage holding
#   library/debian:bookworm, racker/multilayer:latest, racker/busybox:latest),
#   $CACHE/registry/images.txt and the $CACHE/registry/.complete marker.
# test/helpers/registry.ts serves that storage with its own config.yml per test run.
#
# Runs as root and is idempotent: a complete cache returns at once. Everything is
# built in $CACHE/.build-* and renamed into place as the very last step, so a
# killed build never leaves something that looks complete.
set -euo pipefail

CACHE=${RACKER_FIXTURES:-/var/cache/racker-fixtures}
REG=$CACHE/registry
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [[ -e $REG/.complete ]]; then
  echo "fixtures: cached in $CACHE"
  exit 0
fi

die() { echo "build-fixtures: $*" >&2; exit 1; }
log() { echo "build-fixtures: [${SECONDS}s] $*" >&2; }

# --- preconditions ----------------------------------------------------------
# One line per missing tool, naming the Debian package to install.
need() { command -v "$1" >/dev/null 2>&1 || die "missing $1 (apt-get install $2)"; }
need mmdebstrap mmdebstrap
need umoci umoci
need skopeo skopeo
need docker-registry docker-registry
need curl curl
need jq jq
need unshare util-linux
need flock util-linux
need setpriv util-linux
need ss iproute2
# The busybox image must not depend on a libc, so insist on the static build
# (package busybox conflicts with busybox-static, and both install /bin/busybox).
[[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) == "install ok installed" ]] \
  || die "missing busybox-static (apt-get install busybox-static)"
[[ $EUID -eq 0 ]] || die "must run as root (mmdebstrap and umoci need to create root-owned files)"

# --- serialize concurrent builders ------------------------------------------
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ -e $REG/.complete ]]; then # someone else finished while we waited
  echo "fixtures: cached in $CACHE"
  exit 0
fi
# With the lock held, anything left over is from a killed build. --one-file-system
# in case a killed mmdebstrap left /proc or /dev mounted inside its chroot.
rm -rf --one-file-system "$CACHE"/.build-* "$REG"

WORK=$(mktemp -d "$CACHE/.build-XXXXXX") # same filesystem as $REG: the final mv is atomic
OCI=$WORK/oci
REGISTRY_PID=
cleanup() {
  if [[ -n $REGISTRY_PID ]]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT # make bash run the EXIT trap on signals too
trap 'exit 143' TERM

umoci init --layout "$OCI"

# umoci needs a bundle unpacked from the image it repacks into; for a new empty
# image that unpack is instant and gives an empty bundle/rootfs to fill.
new_bundle() { # TAG BUNDLE
  umoci new --image "$OCI:$1"
  umoci unpack --image "$OCI:$1" "$2" >/dev/null
}

# --- a) library/debian:bookworm: the rootfs in one layer ----------------------
log "mmdebstrap bookworm (the slow part)"
new_bundle debian "$WORK/debian"
# mmdebstrap (root mode) mounts /proc, /sys, /dev in the chroot: a private mount
# namespace makes those mounts vanish if the build is killed. --pdeathsig kills
# the main mmdebstrap process with us; its forked workers may run on briefly,
# but they inherit the lock fd, so a new build waits for them before it deletes
# their directory.
# The customize hooks drop the build host's resolv.conf and hostname, which
# mmdebstrap copies in; the container runtime provides them.
mirror=()
[[ -n ${RACKER_DEBIAN_MIRROR:-} ]] && mirror=("$RACKER_DEBIAN_MIRROR")
setpriv --pdeathsig KILL unshare --mount --propagation private \
  mmdebstrap --quiet --variant=minbase --include=systemd,systemd-sysv,dbus \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
    bookworm "$WORK/debian/rootfs" "${mirror[@]}" </dev/null
log "repack debian"
umoci repack --image "$OCI:debian" "$WORK/debian"
umoci config --image "$OCI:debian" --config.env="PATH=$IMAGE_PATH" --config.cmd=bash

# --- b) racker/multilayer:latest: whiteouts across three layers --------------
log "build multilayer"
new_bundle multilayer "$WORK/multi"
R=$WORK/multi/rootfs
cp -a --reflink=auto "$WORK/debian/rootfs/." "$R/"
echo gone >"$R/etc/racker-fixture-deleted"
mkdir -p "$R/opt/fixture/old"
echo a >"$R/opt/fixture/old/a.txt"
echo b >"$R/opt/fixture/old/b.txt"
umoci repack --image "$OCI:multilayer" "$WORK/multi" # layer 1

# Layers 2 and 3 are written by hand: umoci repack (0.4.7) turns "rm -rf old &&
# mkdir old" into one .wh.<name> per removed file and never emits the opaque
# marker .wh..wh..opq, which real docker-built images use and racker must honour.
# Entries are sorted so the opaque marker precedes c.txt (the order docker uses).
# Names carry no "./" prefix and there is no entry for / itself, like docker's layers.
layer_tar() { # STAGING_DIR OUT_TAR
  (cd "$1" && tar --create --file "$2" --sort=name --numeric-owner --owner=0 --group=0 -- *)
}
L2=$WORK/layer2
mkdir -p "$L2/etc" "$L2/opt/fixture/old"
: >"$L2/etc/.wh.racker-fixture-deleted"
: >"$L2/opt/fixture/old/.wh..wh..opq"
echo c >"$L2/opt/fixture/old/c.txt"
L3=$WORK/layer3
mkdir -p "$L3/opt/fixture"
echo layer3 >"$L3/opt/fixture/new.txt"
layer_tar "$L2" "$WORK/layer2.tar"
layer_tar "$L3" "$WORK/layer3.tar"
umoci raw add-layer --image "$OCI:multilayer" --history.created_by="fixture: whiteout + opaque dir" "$WORK/layer2.tar"
umoci raw add-layer --image "$OCI:multilayer" --history.created_by="fixture: add new.txt" "$WORK/layer3.tar"
umoci config --image "$OCI:multilayer" \
  --config.env="PATH=$IMAGE_PATH" --config.env=FIXTURE=multilayer \
  --config.workingdir=/opt/fixture \
  --config.cmd=/bin/cat --config.cmd=/opt/fixture/new.txt \
  --config.label=org.racker.fixture=multilayer

# Verify the layers say what we meant and that a real unpacker agrees.
manifest_of() { # TAG -> path of the manifest blob
  local d
  d=$(jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$OCI/index.json")
  echo "$OCI/blobs/${d/://}"
}
M=$(manifest_of multilayer)
[[ $(jq '.layers | length' "$M") -eq 3 ]] || die "multilayer: expected 3 layers, got $(jq '.layers | length' "$M")"
layer2_blob="$OCI/blobs/$(jq -r '.layers[1].digest | sub(":"; "/")' "$M")"
layer2_list=$(tar -tzf "$layer2_blob")
grep -qx 'etc/.wh.racker-fixture-deleted' <<<"$layer2_list" || die "multilayer: layer 2 lacks the file whiteout"
grep -qx 'opt/fixture/old/.wh..wh..opq' <<<"$layer2_list" || die "multilayer: layer 2 lacks the opaque marker"
umoci unpack --image "$OCI:multilayer" "$WORK/verify" >/dev/null
V=$WORK/verify/rootfs
[[ ! -e $V/etc/racker-fixture-deleted ]] || die "multilayer: whiteout not applied"
[[ $(ls -A "$V/opt/fixture/old") == c.txt ]] || die "multilayer: opaque dir not applied: $(ls -A "$V/opt/fixture/old")"
[[ $(cat "$V/opt/fixture/new.txt") == layer3 ]] || die "multilayer: new.txt missing"
[[ -x $V/bin/bash ]] || die "multilayer: rootfs missing" # /bin is the usrmerge symlink; survives unpack
rm -rf "$WORK/verify" "$WORK/multi"

# --- c) racker/busybox:latest: a non-OS image, one static binary -------------
log "build busybox"
new_bundle busybox "$WORK/busybox"
R=$WORK/busybox/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
chmod 1777 "$R/tmp"
install -m 755 /bin/busybox "$R/bin/busybox"
for applet in sh cat echo ls true false env id sleep pwd hostname; do
  ln -s busybox "$R/bin/$applet"
done
umoci repack --image "$OCI:busybox" "$WORK/busybox"
umoci config --image "$OCI:busybox" --config.env=PATH=/bin --config.cmd=/bin/sh
rm -rf "$WORK/debian" "$WORK/busybox"

# --- push everything into a registry whose storage is the cache ---------------
. "$(dirname "$0")/lib/build-registry.sh"
start_build_registry
log "registry up on 127.0.0.1:$PORT, pushing"

push() { # TAG REF
  # --insecure-policy: pushing our own local build; do not depend on the host's
  # /etc/containers/policy.json. --format oci: keep OCI manifests, never convert.
  skopeo --insecure-policy copy --quiet --format oci --dest-tls-verify=false \
    "oci:$OCI:$1" "docker://127.0.0.1:$PORT/$2"
  echo "$2" >>"$WORK/registry/images.txt"
}
push debian library/debian:bookworm
push multilayer racker/multilayer:latest
push busybox racker/busybox:latest

catalog=$(curl -fsS "http://127.0.0.1:$PORT/v2/_catalog")
for repo in library/debian racker/multilayer racker/busybox; do
  jq -e --arg r "$repo" '.repositories | index($r)' <<<"$catalog" >/dev/null || die "registry catalog lacks $repo: $catalog"
done
kill "$REGISTRY_PID"
wait "$REGISTRY_PID" 2>/dev/null || true
REGISTRY_PID=

# --- commit ----------------------------------------------------------------
sync -f "$WORK/registry/storage" 2>/dev/null || true
touch "$WORK/registry/.complete"
mv -T "$WORK/registry" "$REG"
echo "fixtures: built in $CACHE in ${SECONDS}s ($(du -sh "$REG" | cut -f1))"

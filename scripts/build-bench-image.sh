#!/usr/bin/env bash
# Build the cached ≥ 1 GB rootfs tarball that `npm run bench` imports for its
# size-independence case (bench/run.ts: `racker import` of this file, then boot-run
# on it against boot-run on the ~150 MB fixture image).
#
#   RACKER_FIXTURES   cache dir (default /var/cache/racker-fixtures), shared with build-fixtures.sh
#
# Result: $CACHE/bench/debian-1g.v1.tar (uncompressed): the library/debian:bookworm
# fixture's rootfs layer, followed by /opt/racker-bench/blob-01 … blob-16, 64 MiB of
# random bytes each (1 GiB that no compressor, dedup or sparse file can shrink).
# Prints the path on stdout.
#
# How it is made, and why this way (measured on the 2-core bench machine, busy):
#  - the fixture's single gzip layer is taken straight from the registry storage
#    (no registry, no unpack) and decompressed: that tar stream is already a rootfs;
#  - each random file is appended with `tar --append` and deleted at once, so the build
#    never holds more than the tarball plus 64 MiB;
#  - the bench brings it into its own store with `racker import`, the path a user takes
#    with a rootfs tarball: 16-31 s per bench run. The other way, a second OCI layer
#    (`umoci raw add-layer`, 16 s) pushed to a registry and pulled with `racker pull`,
#    took 47 s per bench run (skopeo copy 12.5 s + umoci unpack 32.7 s): pull writes
#    the data twice and gunzips it.
# The whole build takes ~10-15 s once; a complete cache returns at once.
set -euo pipefail

CACHE=${RACKER_FIXTURES:-/var/cache/racker-fixtures}
DIR=$CACHE/bench
OUT=$DIR/debian-1g.v1.tar
BLOBS=16
BLOB_MIB=64

die() { echo "build-bench-image: $*" >&2; exit 1; }
log() { echo "build-bench-image: [${SECONDS}s] $*" >&2; }

if [[ -e $OUT ]]; then echo "$OUT"; exit 0; fi
[[ $EUID -eq 0 ]] || die "must run as root (writes $CACHE)"
command -v jq >/dev/null 2>&1 || die "missing jq (apt-get install jq)"

# The fixture registry storage is the source of the Debian rootfs.
if [[ ! -e $CACHE/registry/.complete ]]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/build-fixtures.sh" >&2
fi

mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if [[ -e $OUT ]]; then echo "$OUT"; exit 0; fi # built by someone else while we waited
rm -rf "$DIR"/.build-*

WORK=$(mktemp -d "$DIR/.build-XXXXXX") # same filesystem as $OUT: the final mv is atomic
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

V2=$CACHE/registry/storage/docker/registry/v2
blob() { local h=${1#sha256:}; echo "$V2/blobs/sha256/${h:0:2}/$h/data"; }
link=$V2/repositories/library/debian/_manifests/tags/bookworm/current/link
[[ -f $link ]] || die "no library/debian:bookworm in $CACHE/registry"
manifest=$(blob "$(cat "$link")")
[[ $(jq '.layers | length' "$manifest") -eq 1 ]] || die "expected the debian fixture to have one layer"
[[ $(jq -r '.layers[0].mediaType' "$manifest") == *tar+gzip ]] || die "expected a gzip layer"

log "debian rootfs layer"
gzip -dc "$(blob "$(jq -r '.layers[0].digest' "$manifest")")" >"$WORK/image.tar"

log "appending $BLOBS × $BLOB_MIB MiB of random data under /opt/racker-bench"
mkdir -p "$WORK/stage/opt/racker-bench"
add() { tar --append --file "$WORK/image.tar" -C "$WORK/stage" --numeric-owner --owner=0 --group=0 --no-recursion "$@"; }
add opt/racker-bench
for i in $(seq -w 1 "$BLOBS"); do
  f=$WORK/stage/opt/racker-bench/blob-$i
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -out "$f" $((BLOB_MIB * 1024 * 1024)) # ~1.4× faster than /dev/urandom here
  else
    head -c "${BLOB_MIB}M" /dev/urandom >"$f"
  fi
  add "opt/racker-bench/blob-$i"
  rm "$f"
done

size=$(stat -c %s "$WORK/image.tar")
((size >= 1000000000)) || die "tarball is only $size bytes"
listing=$(tar -tf "$WORK/image.tar")
[[ $(grep -c '^opt/racker-bench/blob-' <<<"$listing") -eq $BLOBS ]] || die "random files missing from the tarball"
grep -qx 'usr/lib/systemd/systemd' <<<"$listing" || die "no systemd in the tarball"

mv "$WORK/image.tar" "$OUT"
log "built $OUT ($((size / 1000000)) MB)"
echo "$OUT"

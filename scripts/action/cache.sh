#!/usr/bin/env bash
# The image store in and out of the Actions cache. The store (/var/lib/racker, or
# $RACKER_ROOT/lib) belongs to root and holds image trees with their owners, modes, device
# nodes and file capabilities, which actions/cache (running as the runner user) could
# neither read nor restore: so it caches one tar of the store, made and unpacked here as root.
#   cache.sh export   the store (without containers and scratch space) → $RUNNER_TEMP/racker-cache/store.tar
#   cache.sh import   that tar → the store, only when the store is empty (never over someone's images)
set -euo pipefail
. "$(dirname "$0")/as-root.sh"

store=${RACKER_ROOT:+$RACKER_ROOT/lib}
store=${store:-/var/lib/racker}
dir=$RUNNER_TEMP/racker-cache
tar_options=(--numeric-owner --xattrs --xattrs-include='*')

case "${1:-}" in
  export)
    mkdir -p "$dir"
    tar -C "$store" "${tar_options[@]}" --exclude=./containers --exclude=./tmp -cf "$dir/store.tar.partial" .
    mv "$dir/store.tar.partial" "$dir/store.tar"
    echo "racker cache: saved the image store ($(du -h "$dir/store.tar" | cut -f1))"
    ;;
  import)
    if [ ! -f "$dir/store.tar" ]; then
      echo "racker cache: nothing restored"
    elif [ -e "$store/repositories.json" ]; then
      echo "racker cache: the image store at $store already has images; the cached one is not imported"
    else
      mkdir -p "$store"
      tar -C "$store" "${tar_options[@]}" -xpf "$dir/store.tar"
      rm -f "$dir/store.tar"
      echo "racker cache: restored the image store ($(racker images -q | wc -l) images)"
    fi
    ;;
  *)
    echo "usage: cache.sh export|import" >&2
    exit 2
    ;;
esac

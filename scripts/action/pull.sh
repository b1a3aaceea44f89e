#!/usr/bin/env bash
# The action's pull step: every image the probes will use, before them, so that the image
# store can be saved to the cache whatever the probes find. A curated label is pulled and
# provisioned by postroj; any other reference by racker. Already in the store (restored
# from the cache) and unchanged in its registry: "up to date", nothing downloaded.
# Env: IMAGES (comma-separated, from the inputs step).
set -euo pipefail
. "$(dirname "$0")/as-root.sh"

labels=" $(postroj list-images | awk 'NR > 1 { printf "%s ", $1 }')"
IFS=, read -r -a images <<< "$IMAGES"
for image in "${images[@]}"; do
  if [[ "$labels" == *" $image "* ]]; then
    postroj pull "$image"
  else
    racker pull "$image"
  fi
done

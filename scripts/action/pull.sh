#!/usr/bin/env bash
# The action's pull step: every image the probes will use, before them, so that the image
# store can be saved to the cache whatever the probes find. A curated label is pulled and
# provisioned by postroj; any other reference by racker. Already in the store (restored
# from the cache) and unchanged in its registry: "up to date", nothing downloaded.
# Env: IMAGES (comma-separated, from the inputs step). A failed pull: an annotation, exit 16.
set -euo pipefail
. "$(dirname "$0")/as-root.sh"

labels=" $(postroj list-images | awk 'NR > 1 { printf "%s ", $1 }')"
IFS=, read -r -a images <<< "$IMAGES"
for image in "${images[@]}"; do
  status=0
  if [[ "$labels" == *" $image "* ]]; then
    postroj pull "$image" || status=$?
  else
    racker pull "$image" || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    # The probes can't run: an annotation says which image, and 16 is postroj's "the testbed failed".
    echo "::error::could not pull $image (racker's reason is in this step's log)"
    exit 16
  fi
done

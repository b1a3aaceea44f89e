#!/usr/bin/env bash
# The action's setup step: racker's run-time packages only (never the test set, whose
# docker.io would fight the runner's own Docker), the CLI built, racker/postroj on PATH. No
# Engine API service: the job runs racker as root, and a runner needs no socket for a group.
set -euo pipefail
. "$(dirname "$0")/as-root.sh"
exec bash "$(dirname "$0")/../setup.sh" --no-service

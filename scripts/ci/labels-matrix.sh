#!/usr/bin/env bash
# The labels workflow's first job: the labels to prove, as a job matrix for the next one.
# Env: IMAGES (comma-separated labels; empty: every label), GITHUB_OUTPUT.
# Writes labels={"include":[{"image":…,"family":…,"source":…},…]}; an unknown label is
# postroj's one-line error and its exit status, so the run stops before any job starts.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

args=(matrix)
[ -z "${IMAGES:-}" ] || args+=(--images "$IMAGES")
matrix=$(node "$repo/dist/bin/postroj.js" "${args[@]}")
echo "labels=$matrix" >> "$GITHUB_OUTPUT"
echo "$matrix"

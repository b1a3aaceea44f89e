#!/usr/bin/env bash
# The action's first step: check every input before anything is installed, so a typo costs
# one line (::error:: and exit 1), not a setup. Writes to $GITHUB_OUTPUT:
#   images=A,B         what to pull (the probe's image, or selftest's images)
#   cache=true|false   whether the image store is restored and saved
#   cache-key=…        OS, architecture, racker version, ISO week, and a hash of the images
# Inputs arrive as environment variables (action.yml's env:), never in shell code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

case "$MODE" in
  probe)
    [ -n "$IMAGE" ] || fail "image is required with mode: probe"
    [ -z "$IMAGES" ] || fail "images is for mode: selftest; with mode: probe, name one image"
    case "$IMAGE" in *[[:space:],]*) fail "image must name one image (got \"$(oneline "$IMAGE")\"); for several, use mode: selftest with images" ;; esac
    images=$IMAGE
    ;;
  selftest)
    [ -n "$IMAGES" ] || fail "images is required with mode: selftest"
    [ -z "$IMAGE" ] || fail "image is for mode: probe; with mode: selftest, list images"
    # selftest runs its fixed probe set: the probe inputs would be silently ignored.
    for name in PACKAGE CHECK_UNIT CHECK_NETWORK CHECK_COMMAND EXPECT_STATUS EXPECT_BODY EXPECT_HEADER; do
      [ -z "${!name}" ] || fail "$(input_name "$name") is for mode: probe (selftest runs a fixed probe set)"
    done
    images=$(list "$IMAGES" | tr ' ' '\n' | grep -v '^$' | paste -sd, -)
    ;;
  *) fail "mode must be probe or selftest (got \"$(oneline "$MODE")\")" ;;
esac

for name in TIMEOUT BOOT_TIMEOUT JOBS; do
  [[ "${!name}" =~ ^[1-9][0-9]{0,5}$ ]] || fail "$(input_name "$name") must be a positive whole number of $([ "$name" = JOBS ] && echo machines || echo seconds) (got \"$(oneline "${!name}")\")"
done
for name in FOLLOW_REDIRECTS CACHE; do
  [[ "${!name}" =~ ^(true|false)$ ]] || fail "$(input_name "$name") must be true or false (got \"$(oneline "${!name}")\")"
done
[ -z "$EXPECT_STATUS" ] || [[ "$EXPECT_STATUS" =~ ^[1-5]([0-9]{2}|xx)(,[1-5]([0-9]{2}|xx))*$ ]] ||
  fail "expect-status must be like 200, 2xx or 200,302 (got \"$(oneline "$EXPECT_STATUS")\")"
while IFS= read -r url; do
  [[ "$url" =~ ^(https?|tcp)://[^[:space:]/] ]] || fail "check-network must be http(s)://… or tcp://HOST:PORT, one per line (got \"$url\")"
done < <(lines "$CHECK_NETWORK")
while IFS= read -r header; do
  [[ "$header" =~ ^[^:[:space:]]+:[[:space:]]*[^[:space:]] ]] || fail "expect-header must be 'Name: regex', one per line (got \"$header\")"
done < <(lines "$EXPECT_HEADER")
while IFS= read -r spec; do
  # A path (or a package file name) must exist now; a URL or a repository name is postroj's to try.
  if [[ ! "$spec" =~ ^https?:// ]] && [[ "$spec" == */* || "$spec" =~ \.(deb|rpm|apk|pkg\.tar\.(zst|xz|gz))$ ]] && [ ! -f "$spec" ]; then
    fail "package file not found: $spec"
  fi
done < <(lines "$PACKAGE")
for name in REPORT_JUNIT REPORT_JSON; do
  # One line: the path goes to $GITHUB_OUTPUT as name=value.
  [ -n "${!name}" ] && [[ "${!name}" != *$'\n'* ]] || fail "$(input_name "$name") must name one file (got \"$(oneline "${!name}")\")"
done

version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$here/../../package.json")
os=$(. /etc/os-release && echo "${ID}-${VERSION_ID:-rolling}")
# The week: labels are provisioned with the distribution's packages of the day, so a cache
# older than a week is replaced rather than kept forever (a changed base image is seen
# anyway: a pull compares the registry's digest with the cached one).
week=$(date -u +%G-W%V)
digest=$(printf '%s' "$images" | sha256sum | cut -c1-16)
{
  echo "images=$images"
  echo "cache=$CACHE"
  echo "cache-key=racker-$os-$(uname -m)-$version-$week-$digest"
} >> "$GITHUB_OUTPUT"

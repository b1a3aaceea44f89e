#!/usr/bin/env bash
# Sets up racker on a Debian/Ubuntu host: system tools from Debian packages, npm
# dependencies, the compiled CLI, and `racker`/`postroj` on PATH. Idempotent; run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# What racker runs (systemd-nspawn, skopeo, umoci, mmdebstrap) and what the tests need
# (docker-registry for the fixture registry, busybox-static for a non-OS image,
# apache2-utils for htpasswd, xz-utils for .tar.xz imports).
packages=(systemd-container skopeo umoci mmdebstrap docker-registry busybox-static xz-utils jq curl iproute2
  apache2-utils ca-certificates util-linux mount docker.io)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (sudo ./scripts/setup.sh)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null || [ ! -f /etc/debian_version ]; then
  echo "setup.sh: not a Debian/Ubuntu host; install these packages yourself: ${packages[*]} (and Node.js >= 20), then run npm ci && npm run build" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup.sh: Node.js >= 20 is required (Debian 12's nodejs is 18: use NodeSource or a newer Debian)" >&2
  exit 1
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
for bin in racker postroj; do
  ln -sf "$here/dist/bin/$bin.js" "/usr/local/bin/$bin"
done
echo "setup.sh: ready ($(racker --version))" >&2

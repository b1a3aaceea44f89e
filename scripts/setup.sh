#!/usr/bin/env bash
# Sets up racker on a Debian/Ubuntu host: system tools from Debian packages, npm
# dependencies, the compiled CLI, `racker`/`postroj` on PATH, and the Engine API service (the
# group racker and systemd units: scripts/systemd/). Idempotent; run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# Two sets of Debian packages. What racker and postroj run (systemd-nspawn, skopeo, umoci,
# mmdebstrap, xz for .tar.xz imports, ip for networks, gosu and tini for -u and --init without systemd,
# buildah and mkosi for racker build — without their recommended OCI runtimes, which chroot
# isolation does not use and runc would conflict with Docker's containerd.io): the default, and all a GitHub
# Action step needs. What only the test suite needs, with --with-tests: docker-registry for
# the fixture registry, busybox-static for a non-OS image, apache2-utils for htpasswd, zstd and
# bzip2 for the decompression tests, xvfb, x11-utils, weston, dbus and pulseaudio for racker shell's
# desktop tests (an X server, a Wayland compositor, a session bus and a sound server on the host), and
# docker.io for the docker CLI. docker.io depends on runc and containerd, which Docker's own
# containerd.io (on GitHub's runners) conflicts with: installing it there would remove the
# runner's Docker, so it is never in the run-time set (test/integration/setup-packages.test.ts).
# gcc and libc6-dev build native/*.c (npm run build): peercred, by which the service knows who calls it;
# idmap; racker-host-exec (static: libc6-dev has libc.a) and its server.
runtime_packages=(systemd-container skopeo umoci mmdebstrap xz-utils iproute2 nftables procps gosu tini ca-certificates util-linux mount buildah mkosi gcc libc6-dev)
test_packages=(docker-registry busybox-static jq curl apache2-utils docker.io docker-compose python3-docker zstd bzip2 xvfb x11-utils weston dbus pulseaudio)
# Images of other architectures (--platform), with --with-foreign (and --with-tests): 60 MB to
# download, 380 MB installed, so not for everyone. Registered with binfmt_misc below.
foreign_packages=(qemu-user-static)

usage() {
  echo "usage: setup.sh [--with-tests] [--with-foreign] [--no-service] [--list runtime|test|foreign]" >&2
  exit 2
}
packages=("${runtime_packages[@]}")
service=yes
if [ "${1:-}" = --list ]; then
  case "${2:-}" in
    runtime) echo "${runtime_packages[*]}" ;;
    test) echo "${test_packages[*]}" ;;
    foreign) echo "${foreign_packages[*]}" ;;
    *) usage ;;
  esac
  exit 0
fi
for arg in "$@"; do
  case "$arg" in
    --with-tests) packages+=("${test_packages[@]}" "${foreign_packages[@]}") ;;
    --with-foreign) packages+=("${foreign_packages[@]}") ;;
    --no-service) service=no ;; # the GitHub Action: a runner's job uses racker as root, directly
    *) usage ;;
  esac
done

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

# Foreign binaries to qemu: installing qemu-user-static registers nothing without systemd-binfmt
# or binfmt-support running (containers, CI machines). F (fix-binary): the kernel opens the
# emulator now, so it need not exist inside an image. Every step is skipped when already done.
if dpkg-query -W -f='${Status}' qemu-user-static 2>/dev/null | grep -q 'install ok installed'; then
  binfmt=/proc/sys/fs/binfmt_misc
  [ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
    echo "setup.sh: could not mount binfmt_misc at $binfmt: images of other architectures will not run" >&2
  for name in aarch64 arm ppc64le s390x riscv64 x86_64 i386; do
    [ -e "$binfmt/register" ] || break
    conf=/usr/lib/binfmt.d/qemu-$name.conf # Debian ships none for the host's own architecture
    [ -f "$conf" ] || continue
    entry=$binfmt/qemu-$name
    if [ -e "$entry" ] && ! grep -q '^flags: .*F' "$entry"; then echo -1 >"$entry"; fi
    [ -e "$entry" ] || grep -v '^#' "$conf" | grep . >"$binfmt/register"
  done
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup.sh: Node.js >= 20 is required (Debian 12's nodejs is 18: use NodeSource or a newer Debian)" >&2
  exit 1
fi

cd "$here"
# What is already current is skipped, so a second run (a set-up CI machine, the action's
# step on a runner that ran it before) takes a second, not a minute. npm ci writes
# node_modules/.package-lock.json last: newer than package-lock.json means installed from it.
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
sources=(cli lib probes scripts/bundle.mjs package-lock.json tsconfig.json)
built=
if [ ! -f dist/bin/postroj.js ] || [ ! -f dist/bin/racker.js ] || [ -n "$(find "${sources[@]}" -newer dist/bin/postroj.js -print -quit)" ]; then
  npm run --silent build
  built=yes
fi
# RACKER_BIN_DIR: where the commands are linked (tests link into a directory of their own).
bin_dir=${RACKER_BIN_DIR:-/usr/local/bin}
for bin in racker postroj; do
  ln -sfn "$here/dist/bin/$bin.js" "$bin_dir/$bin"
done

# The Engine API service for users in the group racker (doc/engine-api.md, "Running the
# service"): the group, and the units with ExecStart naming the racker just linked. A unit
# is rewritten only when it differs; RACKER_UNIT_DIR is for tests.
if [ "$service" = yes ]; then
  getent group racker >/dev/null || groupadd --system racker
  unit_dir=${RACKER_UNIT_DIR:-/etc/systemd/system}
  mkdir -p "$unit_dir"
  # The unit runs `racker` by its #!/usr/bin/env node: a node outside systemd's own PATH is named.
  node_dir=$(dirname "$(command -v node)")
  case ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:" in
    *":$node_dir:"*) node_path= ;;
    *) node_path="Environment=PATH=$node_dir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ;;
  esac
  units_changed=
  for unit in racker.socket racker.service; do
    text=$(sed "s|^ExecStart=/usr/local/bin/racker |ExecStart=$bin_dir/racker |" "$here/scripts/systemd/$unit")
    [ -z "$node_path" ] || text=$(printf '%s\n' "$text" | sed "/^ExecStart=/i $node_path")
    if [ "$(cat "$unit_dir/$unit" 2>/dev/null)" != "$text" ]; then
      printf '%s\n' "$text" >"$unit_dir/$unit.tmp" && mv "$unit_dir/$unit.tmp" "$unit_dir/$unit"
      units_changed=yes
    fi
  done
  if [ -d /run/systemd/system ]; then
    if [ -z "${RACKER_UNIT_DIR:-}" ]; then
      [ -z "$units_changed" ] || systemctl daemon-reload
      systemctl enable --quiet --now racker.socket
      # New code or units: a running service restarts on them (its containers stay: KillMode=process).
      [ -z "$units_changed$built" ] || systemctl try-restart racker.service
    fi
  else
    echo "setup.sh: PID 1 is not systemd, so nothing starts the Engine API service: start it with 'racker system service --group racker &' (or under any supervisor)" >&2
  fi
fi
echo "setup.sh: ready ($("$bin_dir/racker" --version))" >&2

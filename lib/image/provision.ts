/**
 * What turns a container image into a machine that `systemd-nspawn --boot` can start and postroj
 * can probe: per package family, the packages and the exact argv steps that install them.
 *
 * The steps run inside the image root in a non-boot container (systemd-nspawn -D ROOT CMD…),
 * in order, without a shell: every argv is literal, nothing is globbed or interpolated, and no
 * step reads standard input. They run before the image is ever booted, so no service is started
 * by a package's maintainer scripts: Debian's invoke-rc.d and deb-systemd-invoke only start
 * services when /run/systemd/system exists, i.e. when systemd is PID 1; rpm scriptlets call
 * `systemctl` which, offline, only enables.
 *
 * Why these packages:
 *  - systemd: PID 1. nspawn looks for /usr/lib/systemd/systemd before /sbin/init, so the init
 *    symlink is not strictly needed, but Debian's systemd-sysv gives `poweroff`/`reboot` too.
 *  - dbus: `systemctl is-system-running` and most of systemctl talk to PID 1 over its private
 *    socket without it, but logind, hostnamectl, and services with Type=dbus need a bus; without
 *    one a booted image ends up "degraded" on many distributions. On rpm families "dbus" is the
 *    name every release has (it pulls dbus-broker where that is the default).
 *  - curl and ca-certificates: postroj's HTTP probes and tests of the packages themselves.
 *  - iproute2/iproute (`ip`, `ss`): cheap, and what a TCP probe uses to show listening sockets.
 *  - procps (`ps`, `pgrep`): cheap, absent from most container images, used by command probes.
 *
 * rpm families ask for curl by file, /usr/bin/curl: EL9, CentOS Stream, UBI and Amazon Linux
 * 2023 images ship curl-minimal, which conflicts with the package "curl"; asking for the file is
 * satisfied by whichever is installed, without --allowerasing swapping packages underneath.
 *
 * Debian's Docker images carry /usr/sbin/policy-rc.d exiting 101 ("don't start services").
 * That is harmless while provisioning (nothing would start anyway, see above), but it would
 * keep a package installed later into the *booted* machine from starting its service, which is
 * exactly what postroj tests. The apt plan removes it as its last step, so the machine behaves
 * like an installed Debian system.
 */
import { UsageError } from '../errors.js';
import type { PackageFamily } from './labels.js';

export interface ProvisionPlan {
  family: PackageFamily;
  /** Each an argv run inside the image root (non-boot container), in order. */
  steps: string[][];
  /** Environment for every step, and for installPackagesArgv's steps too. */
  env: Record<string, string>;
}

const RPM_PACKAGES = ['systemd', 'dbus', 'procps-ng', 'iproute', '/usr/bin/curl', 'ca-certificates'];

export const PROVISION_PACKAGES: Readonly<Record<PackageFamily, readonly string[]>> = Object.freeze({
  apt: Object.freeze(['systemd', 'systemd-sysv', 'dbus', 'procps', 'iproute2', 'curl', 'ca-certificates']),
  dnf: Object.freeze([...RPM_PACKAGES]),
  microdnf: Object.freeze([...RPM_PACKAGES]),
  yum: Object.freeze([...RPM_PACKAGES]),
  // procps is left out: openSUSE renamed it (procps4) and SLE BCI's free repository is a subset;
  // a missing name fails the whole zypper transaction.
  zypper: Object.freeze(['systemd', 'dbus-1', 'iproute2', 'curl', 'ca-certificates']),
  // The archlinux image's "base" already has systemd, dbus, procps-ng, curl and ca-certificates;
  // --needed makes naming them free and keeps the list explicit.
  pacman: Object.freeze(['systemd', 'dbus', 'procps-ng', 'iproute2', 'curl', 'ca-certificates']),
});

const ENV: Readonly<Record<PackageFamily, Readonly<Record<string, string>>>> = {
  // No debconf prompts; the default answers are what a fresh install wants.
  apt: { DEBIAN_FRONTEND: 'noninteractive' },
  dnf: {},
  microdnf: {},
  yum: {},
  zypper: {},
  pacman: {},
};

/**
 * Cache cleaning, without a shell. `rm -rf /var/lib/apt/lists/*` needs a glob, so find deletes
 * the directory's contents instead (apt recreates lists/partial on the next update).
 * pacman -Scc is not used: its questions default to "no" under --noconfirm, so it keeps the cache.
 */
const CLEAN: Readonly<Record<PackageFamily, readonly (readonly string[])[]>> = {
  apt: [
    ['apt-get', 'clean'],
    ['find', '/var/lib/apt/lists', '-mindepth', '1', '-delete'],
    ['rm', '-f', '/usr/sbin/policy-rc.d'],
  ],
  dnf: [['dnf', 'clean', 'all']],
  microdnf: [['microdnf', 'clean', 'all']],
  yum: [['yum', 'clean', 'all']],
  zypper: [['zypper', '--non-interactive', 'clean', '--all']],
  pacman: [['find', '/var/cache/pacman/pkg', '-mindepth', '1', '-delete']],
};

export function provisionPlan(family: PackageFamily): ProvisionPlan {
  const steps = [...installPackagesArgv(family, PROVISION_PACKAGES[family]), ...CLEAN[family].map((s) => [...s])];
  return { family, steps, env: { ...ENV[family] } };
}

/**
 * The steps that install packages by name or by file into an image or a machine; run them with
 * provisionPlan(family).env. Local package files need a slash in their path (./x.deb, /tmp/x.rpm)
 * or apt and dnf take them for names.
 *
 * apt refreshes its lists first: provisioning deleted them, and a name cannot be resolved without.
 * dnf, yum, microdnf and zypper refresh expired metadata on their own; pacman uses -Syu, since
 * Arch does not support installing against a refreshed database without upgrading (-Sy alone).
 */
export function installPackagesArgv(family: PackageFamily, packages: readonly string[]): string[][] {
  if (packages.length === 0) throw new UsageError('no packages to install');
  for (const p of packages) {
    // A leading dash would be read as an option by the package manager.
    if (p.trim() === '' || p.startsWith('-') || /[\0\n]/.test(p)) {
      throw new UsageError(`invalid package name: ${JSON.stringify(p)}`);
    }
  }
  switch (family) {
    case 'apt':
      return [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', ...packages],
      ];
    case 'dnf':
      return [['dnf', 'install', '-y', '--setopt=install_weak_deps=False', ...packages]];
    case 'microdnf':
      // The spelling Red Hat's ubi-minimal examples use.
      return [['microdnf', 'install', '-y', '--setopt=install_weak_deps=0', ...packages]];
    case 'yum':
      // yum 3 (Amazon Linux 2) has no weak dependencies to turn off.
      return [['yum', 'install', '-y', ...packages]];
    case 'zypper':
      return [['zypper', '--non-interactive', 'install', '--no-recommends', ...packages]];
    case 'pacman':
      return [['pacman', '-Syu', '--noconfirm', '--needed', ...packages]];
    default:
      return assertNever(family);
  }
}

function assertNever(family: never): never {
  throw new UsageError(`unknown package family: ${String(family)}`);
}

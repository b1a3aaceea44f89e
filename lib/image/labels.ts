/**
 * The curated labels: short names for the distributions racker and postroj know how to turn into
 * bootable machines ("debian-bookworm" → docker.io/library/debian:bookworm, provisioned with apt).
 *
 * Sources are full canonical references (what formatReference prints), so that a label never
 * depends on the default registry, and each names the publisher's own repository: Docker Hub's
 * official images where the distribution maintains one, otherwise the vendor's registry
 * (quay.io for CentOS and Rocky, registry.access.redhat.com for UBI, registry.opensuse.org and
 * registry.suse.com for SUSE).
 *
 * Table as of 2026-11: Fedora 43 (GA 2025-10-28) and 44 (GA 2026-04-28) are confirmed releases;
 * Fedora 45 was scheduled for late October 2026 and its tag exists since it branched in August,
 * but its GA could not be confirmed from the sources at hand: fedora-45 is listed with a note.
 * Release dates and end-of-life facts in `notes` are there so that a failing pull or boot of an
 * old release can be explained without looking them up.
 */

export type PackageFamily = 'apt' | 'dnf' | 'microdnf' | 'yum' | 'zypper' | 'pacman';

export const PACKAGE_FAMILIES: readonly PackageFamily[] = ['apt', 'dnf', 'microdnf', 'yum', 'zypper', 'pacman'];

export interface Bootstrap {
  tool: 'mmdebstrap';
  suite: string;
  /** The default mirror; RACKER_DEBIAN_MIRROR or the host's sources may replace Debian's. */
  mirror: string;
  components?: string[];
  /**
   * Keyring that verifies the suite when it is not the host's own distribution. On a Debian host
   * the Ubuntu archive key comes from the package ubuntu-keyring (trixie and later, bookworm-backports).
   */
  keyring?: string;
}

export interface Label {
  name: string;
  family: PackageFamily;
  /** Canonical registry reference, e.g. 'docker.io/library/debian:bookworm'. */
  source: string;
  distribution: string;
  release: string;
  /** An image-based OS published as a bootable container (bootc), not a container base image. */
  bootable?: 'bootc';
  /** Debian-family only: how to build the same system without a registry. */
  bootstrap?: Bootstrap;
  notes?: string;
}

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const UBUNTU_MIRROR = 'http://archive.ubuntu.com/ubuntu';
export const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

function debian(codename: string, release: string, notes?: string): Label {
  return {
    name: `debian-${codename}`,
    family: 'apt',
    source: `docker.io/library/debian:${codename}`,
    distribution: 'debian',
    release,
    bootstrap: { tool: 'mmdebstrap', suite: codename, mirror: DEBIAN_MIRROR, components: ['main'] },
    ...(notes ? { notes } : {}),
  };
}

function ubuntu(codename: string, release: string, notes?: string): Label {
  return {
    name: `ubuntu-${codename}`,
    family: 'apt',
    source: `docker.io/library/ubuntu:${codename}`,
    distribution: 'ubuntu',
    release,
    // universe too: the Docker image enables it, and postroj installs packages from it.
    bootstrap: {
      tool: 'mmdebstrap',
      suite: codename,
      mirror: UBUNTU_MIRROR,
      components: ['main', 'universe'],
      keyring: UBUNTU_KEYRING,
    },
    ...(notes ? { notes } : {}),
  };
}

function label(name: string, family: PackageFamily, source: string, distribution: string, release: string, notes?: string): Label {
  return { name, family, source, distribution, release, ...(notes ? { notes } : {}) };
}

/**
 * A bootable container image: the same OCI image that `bootc install` writes to a disk. racker
 * boots it as a system container: its own systemd, dnf working on the container's writable /usr
 * (as in a Containerfile's RUN, the way such images are customised), the links into /var made
 * before the start (lib/container/var-links.ts), bootc's and ostree's own units inactive.
 */
function bootc(name: string, source: string, distribution: string, release: string, what: string): Label {
  const notes =
    `${what} Boots as a system container: packages install with dnf as in a Containerfile's RUN; ` +
    'bootc and ostree units (updates, reboots, bootloader) stay inactive, since no container has /run/ostree-booted.';
  return { name, family: 'dnf', source, distribution, release, bootable: 'bootc', notes };
}

export const LABELS: readonly Label[] = deepFreeze([
  // --- Debian and Ubuntu (apt) ---
  debian('bullseye', '11', 'Debian 11; regular LTS ended 2026-08-31, only Freexian ELTS since. Kept for legacy package tests.'),
  debian('bookworm', '12'),
  debian('trixie', '13'),
  debian('forky', '14', 'Debian testing: changes daily.'),
  debian('sid', 'unstable', 'Debian unstable: changes several times a day.'),
  ubuntu('focal', '20.04', 'Standard support ended 2025-05; security updates only through Ubuntu Pro (ESM).'),
  ubuntu('jammy', '22.04'),
  ubuntu('noble', '24.04'),
  ubuntu('resolute', '26.04', 'Ubuntu 26.04 LTS, released 2026-04-23.'),

  // --- Fedora and Enterprise Linux (dnf) ---
  label('fedora-43', 'dnf', 'docker.io/library/fedora:43', 'fedora', '43', 'Released 2025-10-28; end of life four weeks after Fedora 45 (about December 2026).'),
  label('fedora-44', 'dnf', 'docker.io/library/fedora:44', 'fedora', '44', 'Released 2026-04-28; dnf is dnf5.'),
  label('fedora-45', 'dnf', 'docker.io/library/fedora:45', 'fedora', '45', 'Scheduled for late October 2026; before its GA this tag is the branched pre-release.'),
  label('centos-stream-9', 'dnf', 'quay.io/centos/centos:stream9', 'centos', 'stream9'),
  label('centos-stream-10', 'dnf', 'quay.io/centos/centos:stream10', 'centos', 'stream10'),
  // EL8's "yum" is dnf 4 under another name, so it is family dnf.
  label('rockylinux-8', 'dnf', 'quay.io/rockylinux/rockylinux:8', 'rockylinux', '8'),
  label('rockylinux-9', 'dnf', 'quay.io/rockylinux/rockylinux:9', 'rockylinux', '9'),
  label('rockylinux-10', 'dnf', 'quay.io/rockylinux/rockylinux:10', 'rockylinux', '10'),
  label('almalinux-9', 'dnf', 'docker.io/library/almalinux:9', 'almalinux', '9'),
  label('almalinux-10', 'dnf', 'docker.io/library/almalinux:10', 'almalinux', '10'),
  label('oraclelinux-9', 'dnf', 'docker.io/library/oraclelinux:9', 'oraclelinux', '9'),
  label(
    'rhel-9',
    'dnf',
    'registry.access.redhat.com/ubi9/ubi-init:latest',
    'rhel',
    '9',
    'Red Hat UBI 9 init image: systemd is already installed; without a subscription only the UBI package subset is available.',
  ),
  label(
    'rhel-10',
    'dnf',
    'registry.access.redhat.com/ubi10/ubi-init:latest',
    'rhel',
    '10',
    'Red Hat UBI 10 init image: systemd is already installed; without a subscription only the UBI package subset is available.',
  ),
  label('amazonlinux-2023', 'dnf', 'docker.io/library/amazonlinux:2023', 'amazonlinux', '2023'),

  // --- Bootable containers (bootc): image-based Fedora and CentOS, dnf inside the container ---
  // What a bootc image is and what booting one in racker tests: doc/images.md#bootable-containers.
  bootc('fedora-bootc-43', 'quay.io/fedora/fedora-bootc:43', 'fedora', '43', 'Fedora 43 as a bootable container image (bootc).'),
  bootc('fedora-bootc-44', 'quay.io/fedora/fedora-bootc:44', 'fedora', '44', 'Fedora 44 as a bootable container image (bootc).'),
  bootc('centos-bootc-stream9', 'quay.io/centos-bootc/centos-bootc:stream9', 'centos', 'stream9', 'CentOS Stream 9 as a bootable container image (bootc).'),
  bootc('centos-bootc-stream10', 'quay.io/centos-bootc/centos-bootc:stream10', 'centos', 'stream10', 'CentOS Stream 10 as a bootable container image (bootc).'),

  // --- microdnf and yum ---
  label(
    'ubi9-minimal',
    'microdnf',
    'registry.access.redhat.com/ubi9/ubi-minimal:latest',
    'rhel',
    '9',
    'Red Hat UBI 9 minimal: microdnf instead of dnf; only the UBI package subset without a subscription.',
  ),
  label(
    'amazonlinux-2',
    'yum',
    'docker.io/library/amazonlinux:2',
    'amazonlinux',
    '2',
    'End of support 2026-06-30. Its systemd 219 predates cgroup v2: it will not boot on a host with only the unified cgroup hierarchy.',
  ),

  // --- SUSE (zypper) ---
  label('opensuse-leap-15.6', 'zypper', 'registry.opensuse.org/opensuse/leap:15.6', 'opensuse-leap', '15.6', 'Last Leap 15 release; superseded by Leap 16.0.'),
  label('opensuse-leap-16.0', 'zypper', 'registry.opensuse.org/opensuse/leap:16.0', 'opensuse-leap', '16.0'),
  label('opensuse-tumbleweed', 'zypper', 'registry.opensuse.org/opensuse/tumbleweed:latest', 'opensuse-tumbleweed', 'rolling', 'Rolling release.'),
  label(
    'sles-15',
    'zypper',
    'registry.suse.com/bci/bci-base:15.7',
    'sles',
    '15.7',
    'SUSE BCI base for SLES 15 SP7, the current service pack; only the free SLE_BCI repository without registration.',
  ),
  label(
    'sles-16',
    'zypper',
    'registry.suse.com/bci/bci-base:16.0',
    'sles',
    '16.0',
    'SUSE BCI base for SLES 16.0; only the free SLE_BCI repository without registration.',
  ),

  // --- Arch (pacman) ---
  label('archlinux', 'pacman', 'docker.io/library/archlinux:latest', 'archlinux', 'rolling', 'Rolling release; packages are installed with a full upgrade (-Syu), since partial upgrades are unsupported.'),
]);

/** Labels are shared by every caller: a caller that edits one must copy it first. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function findLabel(name: string): Label | undefined {
  return LABELS.find((l) => l.name === name);
}

export function labelsByFamily(family: PackageFamily): Label[] {
  return LABELS.filter((l) => l.family === family);
}

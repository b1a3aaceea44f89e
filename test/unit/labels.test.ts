import { expect } from 'chai';
import { LABELS, PACKAGE_FAMILIES, UBUNTU_KEYRING, findLabel, labelsByFamily, type PackageFamily } from '../../lib/image/labels.js';
import { PROVISION_PACKAGES, provisionPlan } from '../../lib/image/provision.js';
import { formatReference, parseReference } from '../../lib/registry/reference.js';

/** name → [family, source]: the whole table, so that any change to it is a deliberate one. */
const EXPECTED: [string, PackageFamily, string][] = [
  ['debian-bullseye', 'apt', 'docker.io/library/debian:bullseye'],
  ['debian-bookworm', 'apt', 'docker.io/library/debian:bookworm'],
  ['debian-trixie', 'apt', 'docker.io/library/debian:trixie'],
  ['debian-forky', 'apt', 'docker.io/library/debian:forky'],
  ['debian-sid', 'apt', 'docker.io/library/debian:sid'],
  ['ubuntu-focal', 'apt', 'docker.io/library/ubuntu:focal'],
  ['ubuntu-jammy', 'apt', 'docker.io/library/ubuntu:jammy'],
  ['ubuntu-noble', 'apt', 'docker.io/library/ubuntu:noble'],
  ['ubuntu-resolute', 'apt', 'docker.io/library/ubuntu:resolute'],
  ['fedora-43', 'dnf', 'docker.io/library/fedora:43'],
  ['fedora-44', 'dnf', 'docker.io/library/fedora:44'],
  ['fedora-45', 'dnf', 'docker.io/library/fedora:45'],
  ['centos-stream-9', 'dnf', 'quay.io/centos/centos:stream9'],
  ['centos-stream-10', 'dnf', 'quay.io/centos/centos:stream10'],
  ['rockylinux-8', 'dnf', 'quay.io/rockylinux/rockylinux:8'],
  ['rockylinux-9', 'dnf', 'quay.io/rockylinux/rockylinux:9'],
  ['rockylinux-10', 'dnf', 'quay.io/rockylinux/rockylinux:10'],
  ['almalinux-9', 'dnf', 'docker.io/library/almalinux:9'],
  ['almalinux-10', 'dnf', 'docker.io/library/almalinux:10'],
  ['oraclelinux-9', 'dnf', 'docker.io/library/oraclelinux:9'],
  ['rhel-9', 'dnf', 'registry.access.redhat.com/ubi9/ubi-init:latest'],
  ['rhel-10', 'dnf', 'registry.access.redhat.com/ubi10/ubi-init:latest'],
  ['amazonlinux-2023', 'dnf', 'docker.io/library/amazonlinux:2023'],
  ['fedora-bootc-43', 'dnf', 'quay.io/fedora/fedora-bootc:43'],
  ['fedora-bootc-44', 'dnf', 'quay.io/fedora/fedora-bootc:44'],
  ['centos-bootc-stream9', 'dnf', 'quay.io/centos-bootc/centos-bootc:stream9'],
  ['centos-bootc-stream10', 'dnf', 'quay.io/centos-bootc/centos-bootc:stream10'],
  ['ubi9-minimal', 'microdnf', 'registry.access.redhat.com/ubi9/ubi-minimal:latest'],
  ['amazonlinux-2', 'yum', 'docker.io/library/amazonlinux:2'],
  ['opensuse-leap-15.6', 'zypper', 'registry.opensuse.org/opensuse/leap:15.6'],
  ['opensuse-leap-16.0', 'zypper', 'registry.opensuse.org/opensuse/leap:16.0'],
  ['opensuse-tumbleweed', 'zypper', 'registry.opensuse.org/opensuse/tumbleweed:latest'],
  ['sles-15', 'zypper', 'registry.suse.com/bci/bci-base:15.7'],
  ['sles-16', 'zypper', 'registry.suse.com/bci/bci-base:16.0'],
  ['archlinux', 'pacman', 'docker.io/library/archlinux:latest'],
];

describe('labels', () => {
  it('has at least 22 labels', () => {
    expect(LABELS.length).to.be.at.least(22);
  });

  it('is exactly the expected table, in order', () => {
    expect(LABELS.map((l) => [l.name, l.family, l.source])).to.deep.equal(EXPECTED);
  });

  it('the bootable container (bootc) labels, and only those, are marked bootable, with a note saying what booting one tests', () => {
    expect(LABELS.filter((l) => l.bootable === 'bootc').map((l) => l.name)).to.deep.equal([
      'fedora-bootc-43', 'fedora-bootc-44', 'centos-bootc-stream9', 'centos-bootc-stream10',
    ]);
    for (const l of LABELS.filter((x) => x.bootable)) {
      expect(l.source, l.name).to.match(/^quay\.io\/(fedora\/fedora-bootc|centos-bootc\/centos-bootc):/);
      expect(l.notes, l.name).to.contain('bootable container image (bootc)').and.to.contain('/run/ostree-booted');
    }
  });

  it('has unique names', () => {
    const names = LABELS.map((l) => l.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('names are kebab-case (lowercase words and version numbers joined by "-")', () => {
    for (const l of LABELS) {
      expect(l.name, l.name).to.match(/^[a-z0-9]+(?:-[a-z0-9]+(?:\.[0-9]+)*)*$/);
    }
  });

  it('every source parses, and is already in canonical form', () => {
    for (const l of LABELS) {
      expect(formatReference(parseReference(l.source)), l.name).to.equal(l.source);
    }
  });

  it('every family used has a provisioning plan with an install step', () => {
    for (const family of new Set(LABELS.map((l) => l.family))) {
      expect(PACKAGE_FAMILIES).to.include(family);
      const plan = provisionPlan(family);
      expect(plan.family).to.equal(family);
      expect(plan.steps.some((s) => s.includes('install') || s.includes('-Syu'))).to.equal(true);
      expect(PROVISION_PACKAGES[family]).to.include('systemd');
    }
  });

  it('every family has at least one label', () => {
    for (const family of PACKAGE_FAMILIES) {
      expect(labelsByFamily(family), family).to.not.be.empty;
    }
  });

  it('every field is filled in', () => {
    for (const l of LABELS) {
      expect(l.distribution, l.name).to.match(/^[a-z][a-z0-9-]*$/);
      expect(l.release, l.name).to.match(/^[a-z0-9][a-z0-9.]*$/);
    }
  });

  it('Debian-family labels, and only those, have an mmdebstrap bootstrap', () => {
    for (const l of LABELS) {
      if (l.family === 'apt') {
        expect(l.bootstrap, l.name).to.not.equal(undefined);
        expect(l.bootstrap?.tool).to.equal('mmdebstrap');
        expect(l.source.endsWith(`:${l.bootstrap?.suite}`), l.name).to.equal(true);
      } else {
        expect(l.bootstrap, l.name).to.equal(undefined);
      }
    }
  });

  it('bootstraps Debian from deb.debian.org and Ubuntu from archive.ubuntu.com with its keyring', () => {
    expect(findLabel('debian-bookworm')?.bootstrap).to.deep.equal({
      tool: 'mmdebstrap',
      suite: 'bookworm',
      mirror: 'http://deb.debian.org/debian',
      components: ['main'],
    });
    expect(findLabel('ubuntu-noble')?.bootstrap).to.deep.equal({
      tool: 'mmdebstrap',
      suite: 'noble',
      mirror: 'http://archive.ubuntu.com/ubuntu',
      components: ['main', 'universe'],
      keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
    });
    expect(UBUNTU_KEYRING).to.equal('/usr/share/keyrings/ubuntu-archive-keyring.gpg');
    for (const l of labelsByFamily('apt')) {
      const ubuntu = l.distribution === 'ubuntu';
      expect(l.bootstrap?.mirror, l.name).to.equal(ubuntu ? 'http://archive.ubuntu.com/ubuntu' : 'http://deb.debian.org/debian');
      expect(l.bootstrap?.keyring, l.name).to.equal(ubuntu ? UBUNTU_KEYRING : undefined);
    }
  });

  it('findLabel finds exact names only', () => {
    expect(findLabel('debian-bookworm')).to.deep.equal({
      name: 'debian-bookworm',
      family: 'apt',
      source: 'docker.io/library/debian:bookworm',
      distribution: 'debian',
      release: '12',
      bootstrap: { tool: 'mmdebstrap', suite: 'bookworm', mirror: 'http://deb.debian.org/debian', components: ['main'] },
    });
    expect(findLabel('rhel-9')?.source).to.equal('registry.access.redhat.com/ubi9/ubi-init:latest');
    expect(findLabel('Debian-Bookworm')).to.equal(undefined);
    expect(findLabel('debian')).to.equal(undefined);
    expect(findLabel('')).to.equal(undefined);
  });

  it('labelsByFamily returns the labels of that family, in table order', () => {
    expect(labelsByFamily('zypper').map((l) => l.name)).to.deep.equal([
      'opensuse-leap-15.6',
      'opensuse-leap-16.0',
      'opensuse-tumbleweed',
      'sles-15',
      'sles-16',
    ]);
    expect(labelsByFamily('microdnf').map((l) => l.name)).to.deep.equal(['ubi9-minimal']);
    expect(labelsByFamily('yum').map((l) => l.name)).to.deep.equal(['amazonlinux-2']);
    expect(labelsByFamily('pacman').map((l) => l.name)).to.deep.equal(['archlinux']);
    const total = PACKAGE_FAMILIES.reduce((n, f) => n + labelsByFamily(f).length, 0);
    expect(total).to.equal(LABELS.length);
  });

  it('is frozen, so no caller can change the shared table', () => {
    const l = findLabel('debian-bookworm');
    expect(Object.isFrozen(LABELS)).to.equal(true);
    expect(Object.isFrozen(l)).to.equal(true);
    expect(Object.isFrozen(l?.bootstrap)).to.equal(true);
    expect(Object.isFrozen(l?.bootstrap?.components)).to.equal(true);
  });
});

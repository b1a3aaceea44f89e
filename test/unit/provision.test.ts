import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { PACKAGE_FAMILIES, type PackageFamily } from '../../lib/image/labels.js';
import { PROVISION_PACKAGES, installPackagesArgv, provisionPlan, type ProvisionPlan } from '../../lib/image/provision.js';

/** Every plan written out literally: a change to any argv must change this file too. */
const PLANS: Record<PackageFamily, ProvisionPlan> = {
  apt: {
    family: 'apt',
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    steps: [
      ['apt-get', 'update'],
      [
        'apt-get',
        'install',
        '-y',
        '--no-install-recommends',
        'systemd',
        'systemd-sysv',
        'dbus',
        'procps',
        'iproute2',
        'curl',
        'ca-certificates',
      ],
      ['apt-get', 'clean'],
      ['find', '/var/lib/apt/lists', '-mindepth', '1', '-delete'],
      ['rm', '-f', '/usr/sbin/policy-rc.d'],
    ],
  },
  dnf: {
    family: 'dnf',
    env: {},
    steps: [
      [
        'dnf',
        'install',
        '-y',
        '--setopt=install_weak_deps=False',
        'systemd',
        'dbus',
        'procps-ng',
        'iproute',
        '/usr/bin/curl',
        'ca-certificates',
      ],
      ['dnf', 'clean', 'all'],
    ],
  },
  microdnf: {
    family: 'microdnf',
    env: {},
    steps: [
      [
        'microdnf',
        'install',
        '-y',
        '--setopt=install_weak_deps=0',
        'systemd',
        'dbus',
        'procps-ng',
        'iproute',
        '/usr/bin/curl',
        'ca-certificates',
      ],
      ['microdnf', 'clean', 'all'],
    ],
  },
  yum: {
    family: 'yum',
    env: {},
    steps: [
      ['yum', 'install', '-y', 'systemd', 'dbus', 'procps-ng', 'iproute', '/usr/bin/curl', 'ca-certificates'],
      ['yum', 'clean', 'all'],
    ],
  },
  zypper: {
    family: 'zypper',
    env: {},
    steps: [
      ['zypper', '--non-interactive', 'install', '--no-recommends', 'systemd', 'dbus-1', 'iproute2', 'curl', 'ca-certificates'],
      ['zypper', '--non-interactive', 'clean', '--all'],
    ],
  },
  pacman: {
    family: 'pacman',
    env: {},
    steps: [
      ['pacman', '-Syu', '--noconfirm', '--needed', 'systemd', 'dbus', 'procps-ng', 'iproute2', 'curl', 'ca-certificates'],
      ['find', '/var/cache/pacman/pkg', '-mindepth', '1', '-delete'],
    ],
  },
};

/** installPackagesArgv(family, ['pkg-a', './local.file']) for every family. */
const INSTALLS: Record<PackageFamily, string[][]> = {
  apt: [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', 'pkg-a', './local.file'],
  ],
  dnf: [['dnf', 'install', '-y', '--setopt=install_weak_deps=False', 'pkg-a', './local.file']],
  microdnf: [['microdnf', 'install', '-y', '--setopt=install_weak_deps=0', 'pkg-a', './local.file']],
  yum: [['yum', 'install', '-y', 'pkg-a', './local.file']],
  zypper: [['zypper', '--non-interactive', 'install', '--no-recommends', 'pkg-a', './local.file']],
  pacman: [['pacman', '-Syu', '--noconfirm', '--needed', 'pkg-a', './local.file']],
};

describe('provisioning plans', () => {
  it('covers exactly the six package families', () => {
    expect(Object.keys(PROVISION_PACKAGES).sort()).to.deep.equal([...PACKAGE_FAMILIES].sort());
    expect(PACKAGE_FAMILIES).to.deep.equal(['apt', 'dnf', 'microdnf', 'yum', 'zypper', 'pacman']);
  });

  for (const family of Object.keys(PLANS) as PackageFamily[]) {
    it(`${family}: exact plan`, () => {
      expect(provisionPlan(family)).to.deep.equal(PLANS[family]);
    });

    it(`${family}: exact install argv`, () => {
      expect(installPackagesArgv(family, ['pkg-a', './local.file'])).to.deep.equal(INSTALLS[family]);
    });

    it(`${family}: needs no terminal and no shell`, () => {
      const plan = provisionPlan(family);
      for (const step of plan.steps) {
        expect(['sh', 'bash', '/bin/sh']).to.not.include(step[0]);
        for (const arg of step) expect(arg, step.join(' ')).to.not.match(/[*?|;&$`<>]/);
      }
      // Each package manager's own "don't ask" switch is on every install.
      const installs = plan.steps.filter((s) => s.includes('install') || s.includes('-Syu'));
      expect(installs).to.have.length(1);
      const yes = { apt: '-y', dnf: '-y', microdnf: '-y', yum: '-y', zypper: '--non-interactive', pacman: '--noconfirm' }[family];
      expect(installs[0]).to.include(yes);
    });

    it(`${family}: ends by cleaning the package cache`, () => {
      const steps = provisionPlan(family).steps;
      const cleaning = steps.filter(
        (s) => s.includes('clean') || (s[0] === 'find' && s.includes('-delete')),
      );
      expect(cleaning.length).to.be.at.least(1);
      expect(steps.indexOf(cleaning[0] as string[])).to.be.above(0);
    });
  }

  it('hands out fresh copies: editing a plan does not change the next one', () => {
    const plan = provisionPlan('apt');
    plan.steps[1]?.push('evil');
    plan.env['X'] = 'y';
    expect(provisionPlan('apt')).to.deep.equal(PLANS.apt);
    expect(Object.isFrozen(PROVISION_PACKAGES.apt)).to.equal(true);
  });

  it('rejects an empty package list', () => {
    expect(() => installPackagesArgv('apt', [])).to.throw(UsageError, 'no packages to install');
  });

  for (const bad of ['', ' ', '-y', '--allow-unauthenticated', 'a\nb', 'a\0b']) {
    it(`rejects the package name ${JSON.stringify(bad)}`, () => {
      expect(() => installPackagesArgv('dnf', ['ok', bad])).to.throw(UsageError, /^invalid package name: /);
    });
  }

  it('accepts version pins and absolute paths as they are', () => {
    expect(installPackagesArgv('apt', ['nginx=1.22.1-9', '/tmp/x_1.0_all.deb'])[1]).to.deep.equal([
      'apt-get',
      'install',
      '-y',
      '--no-install-recommends',
      'nginx=1.22.1-9',
      '/tmp/x_1.0_all.deb',
    ]);
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPlatform } from '../../lib/container/foreign.js';
import { RackerError, UsageError } from '../../lib/errors.js';
import { emulationState, requireRunnable } from '../../lib/image/binfmt.js';
import {
  debianArchitecture,
  formatPlatform,
  hostPlatform,
  normalise,
  parsePlatform,
  qemuName,
  runsNatively,
  samePlatform,
  unameMachine,
  type Platform,
} from '../../lib/image/platform.js';
import type { ImageRecord } from '../../lib/image/store.js';
import { mmdebstrapArgv } from '../../lib/tools/mmdebstrap.js';
import { copyToLayoutArgv, parseSkopeoError } from '../../lib/tools/skopeo.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };

describe('platforms: parsing and normalising as containerd does', () => {
  for (const [text, want] of [
    ['linux/arm64', 'linux/arm64'],
    ['arm64', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/x86_64', 'linux/amd64'],
    ['x86-64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['LINUX/ARM64', 'linux/arm64'],
    ['linux/ppc64le', 'linux/ppc64le'],
    ['linux/ppc64el', 'linux/ppc64le'],
    ['linux/s390x', 'linux/s390x'],
    ['linux/riscv64', 'linux/riscv64'],
    ['linux/i386', 'linux/386'],
  ] as const) {
    it(`${text} → ${want}`, () => expect(formatPlatform(parsePlatform(text))).to.equal(want));
  }

  for (const [text, why] of [
    ['linux/mips', 'architecture "mips" is not supported'],
    ['foo', 'architecture "foo" is not supported'],
    ['windows/amd64', 'operating system "windows" is not supported'],
    ['linux/arm/v9', 'architecture "arm/v9" is not supported'],
    ['', 'expected os/arch[/variant]'],
    ['linux/', 'expected os/arch[/variant]'],
    ['linux/arm64/v8/x', 'expected os/arch[/variant]'],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} in one line naming what racker runs`, () => {
      let err: unknown;
      try {
        parsePlatform(text);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(UsageError);
      expect((err as UsageError).message).to.equal(`invalid platform ${JSON.stringify(text)}: ${why}`);
      expect((err as UsageError).hint).to.equal(
        'racker runs linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/ppc64le, linux/s390x, linux/riscv64, linux/386',
      );
    });
  }

  it('maps each platform to Debian\'s, qemu\'s and uname\'s names', () => {
    const table = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64', 'linux/386'].map((t) => {
      const p = parsePlatform(t);
      return [t, debianArchitecture(p), qemuName(p), unameMachine(p)];
    });
    expect(table).to.deep.equal([
      ['linux/amd64', 'amd64', 'x86_64', 'x86_64'],
      ['linux/arm64', 'arm64', 'aarch64', 'aarch64'],
      ['linux/arm/v7', 'armhf', 'arm', 'armv7l'],
      ['linux/arm/v6', 'armel', 'arm', 'armv6l'],
      ['linux/ppc64le', 'ppc64el', 'ppc64le', 'ppc64le'],
      ['linux/s390x', 's390x', 's390x', 's390x'],
      ['linux/riscv64', 'riscv64', 'riscv64', 'riscv64'],
      ['linux/386', 'i386', 'i386', 'i686'],
    ]);
  });

  it('the host platform from node\'s names', () => {
    expect(hostPlatform('x64')).to.deep.equal(AMD64);
    expect(hostPlatform('arm64')).to.deep.equal({ os: 'linux', architecture: 'arm64' });
    expect(hostPlatform('arm')).to.deep.equal({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('matches image records: normalised names, a record without architecture is the host\'s, arm without variant is any arm', () => {
    const arm64 = parsePlatform('linux/arm64');
    expect(samePlatform({ architecture: 'arm64' }, arm64, AMD64)).to.equal(true);
    expect(samePlatform({ architecture: 'aarch64' }, arm64, AMD64)).to.equal(true);
    expect(samePlatform({ architecture: 'arm64', variant: 'v8' }, arm64, AMD64)).to.equal(true);
    expect(samePlatform({ architecture: 'amd64' }, arm64, AMD64)).to.equal(false);
    expect(samePlatform({}, AMD64, AMD64)).to.equal(true);
    expect(samePlatform({}, arm64, AMD64)).to.equal(false);
    expect(samePlatform({ architecture: 'arm' }, parsePlatform('linux/arm/v6'), AMD64)).to.equal(true);
    expect(samePlatform({ architecture: 'arm', variant: 'v7' }, parsePlatform('linux/arm/v6'), AMD64)).to.equal(false);
    expect(samePlatform({ architecture: 'mips' }, arm64, AMD64)).to.equal(false);
    expect(normalise('mips')).to.equal(undefined);
    // An image's config names its architecture: a hostile one can't break a message's one line.
    expect(formatPlatform({ os: 'linux', architecture: 'arm64\n\u001b[31mracker: ok' })).to.equal('linux/arm64???31mracker??ok');
  });

  it('runs natively only its own platform (and 386 on amd64)', () => {
    expect(runsNatively(AMD64, AMD64)).to.equal(true);
    expect(runsNatively(parsePlatform('386'), AMD64)).to.equal(true);
    expect(runsNatively(parsePlatform('arm64'), AMD64)).to.equal(false);
    expect(runsNatively(AMD64, parsePlatform('arm64'))).to.equal(false);
  });
});

describe('platforms: the tools\' argv', () => {
  it('skopeo copy picks the platform from an index with --override-os/arch/variant', () => {
    expect(copyToLayoutArgv('r/x:y', '/o', 't', { tlsVerify: true, platform: parsePlatform('linux/arm/v7') })).to.deep.equal([
      'skopeo', 'copy', '--override-os', 'linux', '--override-arch', 'arm', '--override-variant', 'v7', '--retry-times', '2', 'docker://r/x:y', 'oci:/o:t',
    ]);
    for (const [p, arch] of [['linux/arm64', 'arm64'], ['linux/ppc64le', 'ppc64le'], ['linux/s390x', 's390x'], ['linux/riscv64', 'riscv64']] as const) {
      expect(copyToLayoutArgv('r/x:y', '/o', 't', { tlsVerify: true, platform: parsePlatform(p) }).slice(2, 6)).to.deep.equal(['--override-os', 'linux', '--override-arch', arch]);
    }
  });

  it('skopeo\'s "no image found" for a missing platform is its own kind', () => {
    expect(parseSkopeoError('choosing an image from manifest list docker://r/x:y: no image found in manifest list for architecture s390x, variant "", OS linux').kind).to.equal('no-platform');
    expect(parseSkopeoError('choosing image instance: no image found in image index for architecture riscv64, variant "", OS linux').kind).to.equal('no-platform');
  });

  it('mmdebstrap bootstraps a Debian label for the platform with Debian\'s architecture name', () => {
    for (const [p, debian] of [['linux/arm64', 'arm64'], ['linux/arm/v7', 'armhf'], ['linux/ppc64le', 'ppc64el'], ['linux/s390x', 's390x'], ['linux/riscv64', 'riscv64']] as const) {
      const argv = mmdebstrapArgv({ suite: 'bookworm', target: '/t', architecture: debianArchitecture(parsePlatform(p)) });
      expect(argv).to.include(`--architectures=${debian}`);
    }
  });
});

describe('platforms: binfmt_misc, before a foreign image runs', () => {
  let dir: string;
  const arm64 = parsePlatform('linux/arm64');
  const entry = (flags: string, enabled = 'enabled') => `${enabled}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-binfmt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const failure = (d: string) => {
    try {
      requireRunnable(arm64, 'image x', d, AMD64);
    } catch (err) {
      expect(err).to.be.instanceOf(RackerError);
      return `${(err as RackerError).message} (${(err as RackerError).hint})`;
    }
    return 'ran';
  };

  it('native needs nothing', () => {
    expect(emulationState(AMD64, path.join(dir, 'absent'), AMD64)).to.deep.equal({ kind: 'native' });
    expect(requireRunnable(AMD64, 'image x', path.join(dir, 'absent'), AMD64)).to.equal('native');
  });

  it('not mounted: says how to mount and register', () => {
    expect(failure(path.join(dir, 'absent'))).to.equal(
      `image x is linux/arm64 and this host is linux/amd64, and binfmt_misc is not mounted, so it cannot be emulated (run: mount -t binfmt_misc binfmt_misc ${path.join(dir, 'absent')} && scripts/setup.sh --with-foreign)`,
    );
  });

  it('mounted, not registered; disabled; registered without F', () => {
    writeFileSync(path.join(dir, 'status'), 'enabled\n');
    expect(failure(dir)).to.equal(
      'image x is linux/arm64 and this host is linux/amd64, and no qemu-aarch64 is registered with binfmt_misc (run: scripts/setup.sh --with-foreign, which installs qemu-user-static and registers it)',
    );
    writeFileSync(path.join(dir, 'qemu-aarch64'), entry('OCF', 'disabled'));
    expect(failure(dir)).to.match(/and qemu-aarch64 is disabled in binfmt_misc \(run: echo 1 > .*qemu-aarch64\)$/);
    writeFileSync(path.join(dir, 'qemu-aarch64'), entry('PO'));
    expect(failure(dir)).to.match(/registered without the F \(fix-binary\) flag, so the emulator would have to be inside the image/);
    writeFileSync(path.join(dir, 'qemu-aarch64'), entry('POF'));
    expect(failure(dir)).to.equal('ran');
    expect(emulationState(arm64, dir, AMD64)).to.deep.equal({ kind: 'emulated', interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' });
  });

  it('create\'s rules: docker\'s warning without --platform, a mismatch refused with it', () => {
    const record = { architecture: 'amd64', os: 'linux' } as ImageRecord;
    const warnings: string[] = [];
    checkPlatform(record, 'img', undefined, (l) => warnings.push(l), AMD64);
    expect(warnings).to.deep.equal([]);
    expect(() => checkPlatform(record, 'img', arm64, undefined, AMD64)).to.throw(RackerError, 'image img is linux/amd64, not the requested linux/arm64');
    expect(() => checkPlatform({ ...record, architecture: 'mips' }, 'img', undefined, undefined, AMD64)).to.throw(RackerError, 'image img is linux/mips, which racker cannot run here');
    // A foreign image without --platform warns (on this host it then needs binfmt_misc's qemu, checked for real).
    const foreign = { ...record, architecture: 's390x' };
    try {
      checkPlatform(foreign, 'img', undefined, (l) => warnings.push(l), AMD64);
    } catch (err) {
      expect(err).to.be.instanceOf(RackerError); // no qemu-s390x registered here: one clear line instead
    }
    expect(warnings).to.deep.equal([
      "WARNING: The requested image's platform (linux/s390x) does not match the detected host platform (linux/amd64) and no specific platform was requested",
    ]);
  });
});

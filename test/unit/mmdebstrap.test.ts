import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { aptSourceUris, mmdebstrapArgv, resolveDebianMirror } from '../../lib/tools/mmdebstrap.js';

const FALLBACK = 'http://deb.debian.org/debian';

/** This machine's /etc/apt/sources.list.d/debian.sources, as found. */
const DEB822_HOST = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const DEB822_LOCAL_MIRROR = `# a third-party repository first
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main

Types: deb-src
URIs: http://src-only.example.org/debian
Suites: trixie
Components: main

Types: deb
URIs: http://disabled.example.org/debian
Suites: trixie
Components: main
Enabled: no

types: deb deb-src
uris: http://mirror.example.net:3142/debian/
  http://second.example.net/debian
suites: trixie trixie-updates
components: main contrib
`;

const ONE_LINE = `# /etc/apt/sources.list
deb-src http://src.example.org/debian bookworm main

deb [arch=amd64 signed-by=/usr/share/keyrings/google.gpg] https://packages.cloud.google.com/apt cloud-sdk-bookworm main
deb http://security.debian.org/debian-security bookworm-security main
deb [ arch=amd64 ] http://ftp.de.debian.org/debian/ bookworm main contrib non-free-firmware
deb http://deb.debian.org/debian bookworm-updates main
`;

describe('mmdebstrap', () => {
  describe('mmdebstrapArgv', () => {
    it('defaults to minbase with the suite and target only', () => {
      expect(mmdebstrapArgv({ suite: 'bookworm', target: '/var/tmp/r/rootfs' })).to.deep.equal([
        'mmdebstrap',
        '--variant=minbase',
        'bookworm',
        '/var/tmp/r/rootfs',
      ]);
    });

    it('builds the bootable Debian rootfs of the field notes', () => {
      expect(
        mmdebstrapArgv({
          suite: 'bookworm',
          target: '/var/cache/racker/build/debian.tar',
          mirror: 'http://deb.debian.org/debian',
          include: ['systemd', 'systemd-sysv', 'dbus'],
          components: ['main'],
          architecture: 'amd64',
        }),
      ).to.deep.equal([
        'mmdebstrap',
        '--variant=minbase',
        '--architectures=amd64',
        '--components=main',
        '--include=systemd,systemd-sysv,dbus',
        'bookworm',
        '/var/cache/racker/build/debian.tar',
        'http://deb.debian.org/debian',
      ]);
    });

    it('builds Ubuntu on a Debian host with the Ubuntu keyring', () => {
      expect(
        mmdebstrapArgv({
          suite: 'noble',
          target: '/tmp/noble',
          mirror: 'http://archive.ubuntu.com/ubuntu',
          variant: 'apt',
          components: ['main', 'universe'],
          keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
          include: ['systemd-sysv'],
        }),
      ).to.deep.equal([
        'mmdebstrap',
        '--variant=apt',
        '--components=main,universe',
        '--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg',
        '--include=systemd-sysv',
        'noble',
        '/tmp/noble',
        'http://archive.ubuntu.com/ubuntu',
      ]);
    });

    it('keeps .deb paths and apt patterns in --include options of their own', () => {
      expect(
        mmdebstrapArgv({
          suite: 'trixie',
          target: 'out',
          variant: 'essential',
          include: ['systemd', './pkgs/my pkg,1.deb', 'dbus', '/abs/x.deb', '?priority(important)', '../y.deb'],
        }),
      ).to.deep.equal([
        'mmdebstrap',
        '--variant=essential',
        '--include=systemd,dbus',
        '--include=./pkgs/my pkg,1.deb',
        '--include=/abs/x.deb',
        '--include=?priority(important)',
        '--include=../y.deb',
        'trixie',
        'out',
      ]);
    });

    it('passes apt version and suite pins in names', () => {
      expect(mmdebstrapArgv({ suite: 'bookworm', target: 'x', include: ['systemd/bookworm-backports', 'dbus=1.14.10-1~deb12u1'] })).to.deep.equal([
        'mmdebstrap',
        '--variant=minbase',
        '--include=systemd/bookworm-backports,dbus=1.14.10-1~deb12u1',
        'bookworm',
        'x',
      ]);
    });

    it('leaves out empty include and component lists', () => {
      expect(mmdebstrapArgv({ suite: 'sid', target: 't', include: [], components: [] })).to.deep.equal([
        'mmdebstrap',
        '--variant=minbase',
        'sid',
        't',
      ]);
    });

    const invalid: [string, Parameters<typeof mmdebstrapArgv>[0], RegExp][] = [
      ['an empty suite', { suite: '', target: 't' }, /^invalid suite/],
      ['a suite that is an option', { suite: '--help', target: 't' }, /^invalid suite/],
      ['a suite with a space', { suite: 'bookworm main', target: 't' }, /^invalid suite/],
      ['an empty target', { suite: 'sid', target: '' }, /^invalid target/],
      ['stdout as target', { suite: 'sid', target: '-' }, /^invalid target/],
      ['a target that is an option', { suite: 'sid', target: '--mode=unshare' }, /^invalid target/],
      ['a one-line source as mirror', { suite: 'sid', target: 't', mirror: 'deb http://x/debian sid main' }, /^invalid mirror/],
      ['a mirror without scheme', { suite: 'sid', target: 't', mirror: 'deb.debian.org/debian' }, /^invalid mirror/],
      ['an option as architecture', { suite: 'sid', target: 't', architecture: '--x' }, /^invalid architecture/],
      ['an option as keyring', { suite: 'sid', target: 't', keyring: '--x' }, /^invalid keyring/],
      ['an empty keyring', { suite: 'sid', target: 't', keyring: '' }, /^invalid keyring path: ""$/],
      ['an architecture followed by an option', { suite: 'sid', target: 't', architecture: 'amd64 --x' }, /^invalid architecture/],
      ['a mirror after a space', { suite: 'sid', target: 't', mirror: ' http://x/debian' }, /^invalid mirror/],
      ['a mirror followed by an option', { suite: 'sid', target: 't', mirror: 'http://x/debian --x' }, /^invalid mirror/],
      ['a bad component', { suite: 'sid', target: 't', components: ['main contrib'] }, /^invalid archive component/],
      ['a comma in a name', { suite: 'sid', target: 't', include: ['a,b'] }, /^invalid package for --include/],
      ['a space in a name', { suite: 'sid', target: 't', include: ['a b'] }, /^invalid package for --include/],
      ['an option as a name', { suite: 'sid', target: 't', include: ['--x'] }, /^invalid package for --include/],
      ['an empty name', { suite: 'sid', target: 't', include: [''] }, /^invalid package for --include/],
    ];
    for (const [what, opts, message] of invalid) {
      it(`rejects ${what}`, () => {
        expect(() => mmdebstrapArgv(opts)).to.throw(UsageError, message);
      });
    }
  });

  describe('aptSourceUris', () => {
    it('reads deb822 stanzas, skipping comments', () => {
      expect(aptSourceUris(DEB822_HOST)).to.deep.equal(['http://deb.debian.org/debian', 'http://deb.debian.org/debian-security']);
    });

    it('skips deb-src only and disabled stanzas, reads folded fields and lowercase names', () => {
      expect(aptSourceUris(DEB822_LOCAL_MIRROR)).to.deep.equal([
        'https://deb.nodesource.com/node_20.x',
        'http://mirror.example.net:3142/debian/',
        'http://second.example.net/debian',
      ]);
    });

    it('reads one-line entries with and without options, skipping deb-src', () => {
      expect(aptSourceUris(ONE_LINE)).to.deep.equal([
        'https://packages.cloud.google.com/apt',
        'http://security.debian.org/debian-security',
        'http://ftp.de.debian.org/debian/',
        'http://deb.debian.org/debian',
      ]);
    });

    it('reads both formats concatenated, in order, and CRLF text', () => {
      expect(aptSourceUris(`${ONE_LINE}\n${DEB822_HOST}`.replace(/\n/g, '\r\n'))).to.deep.equal([
        'https://packages.cloud.google.com/apt',
        'http://security.debian.org/debian-security',
        'http://ftp.de.debian.org/debian/',
        'http://deb.debian.org/debian',
        'http://deb.debian.org/debian',
        'http://deb.debian.org/debian-security',
      ]);
    });

    // Written for the mutation score (doc/reliability.md, "Mutation score").
    it('reads lines with irregular spacing, indented comments inside a stanza, and Enabled: in any case', () => {
      expect(aptSourceUris('  deb  [arch=amd64]  http://a/debian  bookworm main\ndeb http://b/debian\tsid main')).to.deep.equal(['http://a/debian', 'http://b/debian']);
      expect(aptSourceUris('Types: deb\nURIs:http://a/debian\n  # http://old/debian\nSuites: bookworm\n')).to.deep.equal(['http://a/debian']);
      expect(aptSourceUris('Types: deb\nURIs: http://a/debian\nSuites: bookworm\nEnabled: No\n')).to.deep.equal([]);
    });

    it('finds nothing in empty or unrelated text', () => {
      expect(aptSourceUris('')).to.deep.equal([]);
      expect(aptSourceUris('# deb http://deb.debian.org/debian bookworm main\n')).to.deep.equal([]);
      expect(aptSourceUris('Types: deb\nSuites: bookworm\n')).to.deep.equal([]);
    });
  });

  describe('resolveDebianMirror', () => {
    it('prefers RACKER_DEBIAN_MIRROR, trimmed and without trailing slash', () => {
      expect(resolveDebianMirror({ RACKER_DEBIAN_MIRROR: ' http://10.0.0.5:3142/debian/ ' }, DEB822_HOST, FALLBACK)).to.equal(
        'http://10.0.0.5:3142/debian',
      );
    });

    it('drops every trailing slash', () => {
      expect(resolveDebianMirror({ RACKER_DEBIAN_MIRROR: 'http://10.0.0.5/debian//' }, undefined, FALLBACK)).to.equal('http://10.0.0.5/debian');
    });

    it('ignores an empty RACKER_DEBIAN_MIRROR', () => {
      expect(resolveDebianMirror({ RACKER_DEBIAN_MIRROR: '  ' }, undefined, FALLBACK)).to.equal(FALLBACK);
    });

    it('rejects a RACKER_DEBIAN_MIRROR that is not a URI', () => {
      expect(() => resolveDebianMirror({ RACKER_DEBIAN_MIRROR: 'deb.debian.org' }, undefined, FALLBACK)).to.throw(
        UsageError,
        'RACKER_DEBIAN_MIRROR is not a mirror URI: "deb.debian.org"',
      );
    });

    it("takes the host's deb822 Debian archive, not debian-security", () => {
      expect(resolveDebianMirror({}, DEB822_HOST.replace(/deb\.debian\.org\/debian\n/, 'debian.example.com/debian\n'), FALLBACK)).to.equal(
        'http://debian.example.com/debian',
      );
    });

    it('takes the first Debian archive of a one-line sources.list, past third-party and security entries', () => {
      expect(resolveDebianMirror({}, ONE_LINE, FALLBACK)).to.equal('http://ftp.de.debian.org/debian');
    });

    it('takes a proxy mirror from folded deb822 fields, past disabled and source-only stanzas', () => {
      expect(resolveDebianMirror({}, DEB822_LOCAL_MIRROR, FALLBACK)).to.equal('http://mirror.example.net:3142/debian');
    });

    it('falls back when the host has no Debian archive', () => {
      const none = 'deb https://deb.nodesource.com/node_20.x nodistro main\ndeb http://snapshot.debian.org/archive/debian/20250520T000000Z bookworm main\ndeb mirror+file:/etc/apt/mirrors/debian.list bookworm main\n';
      expect(resolveDebianMirror({}, none, FALLBACK)).to.equal(FALLBACK);
      expect(resolveDebianMirror({}, undefined, 'http://fallback.example/debian')).to.equal('http://fallback.example/debian');
      expect(resolveDebianMirror({}, '', FALLBACK)).to.equal(FALLBACK);
    });
  });
});

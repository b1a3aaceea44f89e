import { expect } from 'chai';
import { copyToStorageArgv, budArgv, fromArgv, inspectImageArgv, mountArgv, rmAllArgv, rmArgv, rmiArgv, tagArgv } from '../../lib/tools/buildah.js';
import { copyParentsArgv, copyTreeArgv, linkTreeArgv } from '../../lib/tools/cp.js';
import { mkosiBuildArgv } from '../../lib/tools/mkosi.js';
import { overlayReadonlyArgv } from '../../lib/tools/mount.js';
import { INIT_TOOL, nspawnBootArgv, nspawnDirectArgv } from '../../lib/tools/nspawn.js';
import { copyToLayoutArgv, inspectRawArgv, parseSkopeoError, platformFlags } from '../../lib/tools/skopeo.js';
import { throwsMessage } from '../helpers/assert.js';

/**
 * The argv builders of lib/tools, to the word: every argv whole, every refusal with its message
 * (which names the argument that was wrong). Written for the mutation score (doc/reliability.md,
 * "Mutation score"): the other tests of these builders check the common shapes.
 */

const S = { root: '/var/lib/racker/buildah', runroot: '/run/racker/buildah' };
const G = ['buildah', '--root=/var/lib/racker/buildah', '--runroot=/run/racker/buildah', '--storage-driver=overlay'];

describe('argv builders, exactly', () => {
  describe('buildah', () => {
    it('names the argument it refuses', () => {
      const bud = { context: '/c', file: '/c/f', iidfile: '/i' };
      expect(throwsMessage(() => budArgv({ root: '', runroot: '/r' }, bud))).to.equal('invalid storage root: ""');
      expect(throwsMessage(() => budArgv({ root: '/r', runroot: '-r' }, bud))).to.equal('invalid storage runroot: "-r"');
      expect(throwsMessage(() => budArgv(S, { ...bud, iidfile: '-i' }))).to.equal('invalid iidfile: "-i"');
      expect(throwsMessage(() => budArgv(S, { ...bud, tag: '--x' }))).to.equal('invalid tag: "--x"');
      expect(throwsMessage(() => budArgv(S, { ...bud, target: '' }))).to.equal('invalid target: ""');
      expect(throwsMessage(() => budArgv(S, { ...bud, file: '-f' }))).to.equal('invalid Containerfile: "-f"');
      expect(throwsMessage(() => budArgv(S, { ...bud, context: '' }))).to.equal('invalid context: ""');
      expect(throwsMessage(() => budArgv(S, { ...bud, buildArgs: ['1=2'] }))).to.equal('invalid build argument: "1=2" (expected NAME=VALUE)');
      expect(throwsMessage(() => copyToStorageArgv(S, '/a:b', 'base', 'x'))).to.equal('invalid path for skopeo: "/a:b"');
      expect(throwsMessage(() => copyToStorageArgv(S, '/a', 'x:y', 'x'))).to.equal('invalid OCI layout reference: "x:y"');
      expect(throwsMessage(() => copyToStorageArgv(S, '/a', 'base', '-x'))).to.equal('invalid image name: "-x"');
      expect(throwsMessage(() => tagArgv(S, '-a', []))).to.equal('invalid image: "-a"');
      expect(throwsMessage(() => tagArgv(S, 'a', ['x', '']))).to.equal('invalid image name: ""');
      expect(throwsMessage(() => fromArgv(S, ''))).to.equal('invalid image: ""');
      expect(throwsMessage(() => mountArgv(S, '-c'))).to.equal('invalid container: "-c"');
      expect(throwsMessage(() => rmArgv(S, ''))).to.equal('invalid container: ""');
      expect(throwsMessage(() => rmiArgv(S, ['a', '-b']))).to.equal('invalid image: "-b"');
      expect(throwsMessage(() => inspectImageArgv(S, '-i'))).to.equal('invalid image: "-i"');
    });

    it('a tag is one word after the build flags', () => {
      expect(budArgv(S, { context: '/c', file: '/c/f', iidfile: '/i', tag: 'racker-build:1' })).to.deep.equal([
        ...G, 'bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm', '--iidfile=/i', '--tag=racker-build:1', '--file=/c/f', '/c',
      ]);
    });

    it('removes every working container, removes images, inspects one', () => {
      expect(rmAllArgv(S)).to.deep.equal([...G, 'rm', '--all']);
      expect(rmiArgv(S, ['a', 'b'])).to.deep.equal([...G, 'rmi', 'a', 'b']);
      expect(inspectImageArgv(S, 'sha256:ab')).to.deep.equal([...G, 'inspect', '--type=image', 'sha256:ab']);
    });
  });

  describe('cp', () => {
    it('copies a tree whole, reflinks where it can', () => {
      expect(copyTreeArgv('/a/rootfs', '/b/rootfs')).to.deep.equal(['cp', '-a', '--reflink=auto', '--no-target-directory', '--', '/a/rootfs', '/b/rootfs']);
    });

    it('names the argument it refuses', () => {
      expect(throwsMessage(() => linkTreeArgv('', '/b'))).to.equal('invalid source: ""');
      expect(throwsMessage(() => linkTreeArgv('/a', '-b'))).to.equal('invalid destination: "-b"');
      expect(throwsMessage(() => copyTreeArgv('-a', '/b'))).to.equal('invalid source: "-a"');
      expect(throwsMessage(() => copyTreeArgv('/a', ''))).to.equal('invalid destination: ""');
      expect(throwsMessage(() => copyParentsArgv(['etc/hosts'], '-b'))).to.equal('invalid destination: "-b"');
      expect(throwsMessage(() => copyParentsArgv(['a/../../etc'], '/b'))).to.equal('invalid relative path: "a/../../etc"');
    });
  });

  describe('mkosi', () => {
    const o = { directory: '/conf', output: '/out', workspace: '/ws' };

    it('builds a directory tree with a cache and a mirror', () => {
      expect(mkosiBuildArgv({ ...o, cache: '/cache', mirror: 'http://deb.debian.org/debian' })).to.deep.equal([
        'mkosi', '--directory=/conf', '--format=directory', '--output=/out', '--workspace-dir=/ws', '--cache=/cache', '--mirror=http://deb.debian.org/debian', 'build',
      ]);
    });

    it('takes absolute paths only, and names the one it refuses', () => {
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, directory: 'conf' }))).to.equal('invalid configuration directory for mkosi: "conf" (an absolute path)');
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, output: '' }))).to.equal('invalid output for mkosi: "" (an absolute path)');
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, workspace: '-w' }))).to.equal('invalid workspace for mkosi: "-w" (an absolute path)');
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, cache: 'c' }))).to.equal('invalid cache for mkosi: "c" (an absolute path)');
    });

    it('takes a mirror that is a whole URI and nothing around it', () => {
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, mirror: 'deb.debian.org' }))).to.equal('invalid mirror URI: "deb.debian.org"');
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, mirror: ' http://x/debian' }))).to.equal('invalid mirror URI: " http://x/debian"');
      expect(throwsMessage(() => mkosiBuildArgv({ ...o, mirror: 'http://x/debian --foo' }))).to.equal('invalid mirror URI: "http://x/debian --foo"');
    });
  });

  describe('mount', () => {
    it('a read-only overlay of layers, top first', () => {
      expect(overlayReadonlyArgv(['/c/upper', '/i/rootfs'], '/t')).to.deep.equal(['mount', '-t', 'overlay', 'overlay', '-o', 'ro,lowerdir=/c/upper:/i/rootfs', '/t']);
    });
  });

  describe('nspawn', () => {
    const base = { directory: '/r', machine: 'racker-abc', hostname: 'web', privateNetwork: false, binds: [] };

    it('enters a network namespace with nsenter, tmpfs mounts escaped, properties only when registered', () => {
      const props = ['--property=MemoryMax=1G'];
      expect(nspawnBootArgv({ ...base, register: false, properties: props, networkNamespacePath: '/run/netns/n1', tmpfs: [{ container: '/a:b\\c', options: 'mode=1777' }] })).to.deep.equal([
        'nsenter', '--net=/run/netns/n1', '--', 'systemd-nspawn', '--quiet', '--directory=/r', '--hostname=web', '--resolv-conf=copy-host',
        '--timezone=off', '--link-journal=no', '--register=no', '--keep-unit', '--machine=racker-abc', '--tmpfs=/a\\:b\\\\c:mode=1777', '--boot', '--console=read-only',
      ]);
      expect(nspawnBootArgv({ ...base, register: true, properties: props })).to.deep.equal([
        'systemd-nspawn', '--quiet', '--directory=/r', '--hostname=web', '--resolv-conf=copy-host', '--timezone=off', '--link-journal=no',
        '--register=yes', '--machine=racker-abc', '--property=MemoryMax=1G', '--boot', '--console=read-only',
      ]);
      expect(nspawnBootArgv({ ...base, register: true })).to.deep.equal([
        'systemd-nspawn', '--quiet', '--directory=/r', '--hostname=web', '--resolv-conf=copy-host', '--timezone=off', '--link-journal=no',
        '--register=yes', '--machine=racker-abc', '--boot', '--console=read-only',
      ]);
    });

    it('--init: tini bound in and run before the command, after the user switch; no --chdir without a working dir', () => {
      expect(INIT_TOOL).to.equal('/run/racker/init');
      expect(nspawnDirectArgv({ ...base, register: false, command: ['sleep', '1'], env: [], tty: false, init: '/usr/bin/tini-static' })).to.deep.equal([
        'systemd-nspawn', '--quiet', '--directory=/r', '--hostname=web', '--resolv-conf=copy-host', '--timezone=off', '--link-journal=no',
        '--register=no', '--keep-unit', '--machine=racker-abc', '--console=pipe', '--bind-ro=/usr/bin/tini-static:/run/racker/init',
        '--', '/run/racker/init', '--', 'sleep', '1',
      ]);
      expect(nspawnDirectArgv({ ...base, register: false, command: ['id'], env: [], tty: false, switchUser: { tool: '/g', uid: 1, gid: 2 }, init: '/t' }).slice(-6)).to.deep.equal([
        '--', '/run/racker/gosu', '1:2', '/run/racker/init', '--', 'id',
      ]);
    });
  });

  describe('skopeo', () => {
    it('copies with a deadline, for a platform, with TLS on', () => {
      expect(copyToLayoutArgv('r/x:y', '/o', 't', { tlsVerify: true, timeoutSeconds: 90, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })).to.deep.equal([
        'skopeo', 'copy', '--command-timeout', '90s', '--override-os', 'linux', '--override-arch', 'arm64', '--override-variant', 'v8', '--retry-times', '2', 'docker://r/x:y', 'oci:/o:t',
      ]);
      expect(platformFlags({ os: 'linux', architecture: 'amd64' })).to.deep.equal(['--override-os', 'linux', '--override-arch', 'amd64']);
    });

    it('inspects with TLS on and an auth file', () => {
      expect(inspectRawArgv('r/x:y', { tlsVerify: true, authFile: '/run/a.json' })).to.deep.equal(['skopeo', 'inspect', '--raw', '--authfile', '/run/a.json', 'docker://r/x:y']);
    });

    it('reads the failures a pull can retry or explain', () => {
      const a = `sha256:${'a'.repeat(64)}`;
      const b = `sha256:${'b'.repeat(64)}`;
      expect(parseSkopeoError('copying system image: context deadline exceeded')).to.deep.equal({ kind: 'timeout' });
      expect(parseSkopeoError(`writing blob: Digest did not match, expected ${a}, got ${b}`)).to.deep.equal({ kind: 'corrupt', expected: a, actual: b });
      expect(parseSkopeoError('writing blob: size mismatch')).to.deep.equal({ kind: 'corrupt' });
      expect(parseSkopeoError('reading blob: happened during read: unexpected EOF')).to.deep.equal({ kind: 'interrupted' });
      expect(parseSkopeoError('reading blob sha256:1: unexpected EOF')).to.deep.equal({ kind: 'interrupted' });
      expect(parseSkopeoError('fetching blob: invalid status code from registry 503 (Service Unavailable)')).to.deep.equal({ kind: 'server-error', status: 503 });
      expect(parseSkopeoError('reading manifest t in r/x: received unexpected HTTP status: 502 Bad Gateway')).to.deep.equal({ kind: 'server-error', status: 502 });
      expect(parseSkopeoError('received unexpected HTTP status: 404 Not Found')).to.deep.equal({ kind: 'not-found' });
    });
  });
});

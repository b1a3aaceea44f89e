import { expect } from 'chai';
import { createOptionsFrom, parseFilters } from '../../lib/api/container-json.js';
import { frame, parseFrames, streamContentType } from '../../lib/api/frames.js';
import { imageFilter, progressMessage, referenceMatches } from '../../lib/api/images.js';
import { flag, match, route } from '../../lib/api/router.js';
import { compareVersions, MAX_API_VERSION, MIN_API_VERSION, splitVersion } from '../../lib/api/version.js';

describe('Engine API: versions', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('1.9', '1.24')).to.be.below(0);
    expect(compareVersions('1.41', '1.41')).to.equal(0);
    expect(compareVersions('1.43', '1.41')).to.be.above(0);
  });

  it('strips a /v1.xx prefix and accepts versions in range', () => {
    expect(splitVersion('/v1.41/containers/json')).to.deep.equal({ path: '/containers/json', version: '1.41' });
    expect(splitVersion('/containers/json')).to.deep.equal({ path: '/containers/json', version: MAX_API_VERSION });
    expect(splitVersion(`/v${MIN_API_VERSION}/_ping`).error).to.equal(undefined);
  });

  it('refuses versions out of range with dockerd\'s messages', () => {
    expect(splitVersion('/v1.99/info').error).to.equal(`client version 1.99 is too new. Maximum supported API version is ${MAX_API_VERSION}`);
    expect(splitVersion('/v1.12/info').error).to.match(/^client version 1.12 is too old. Minimum supported API version is 1.24/);
  });
});

describe('Engine API: stream frames', () => {
  it('an 8-byte header: stream, three zeros, big-endian size', () => {
    const f = frame(2, Buffer.from('hi\n'));
    expect([...f.subarray(0, 8)]).to.deep.equal([2, 0, 0, 0, 0, 0, 0, 3]);
    expect(f.subarray(8).toString()).to.equal('hi\n');
  });

  it('parses frames back, keeping an incomplete one', () => {
    const data = Buffer.concat([frame(1, Buffer.from('a')), frame(2, Buffer.from('bc')), frame(1, Buffer.from('def')).subarray(0, 9)]);
    const { frames, rest } = parseFrames(data);
    expect(frames.map((f) => [f.stream, f.payload.toString()])).to.deep.equal([[1, 'a'], [2, 'bc']]);
    expect(rest.length).to.equal(9);
  });

  it('multiplexed-stream is the content type from 1.42 without a TTY', () => {
    expect(streamContentType(false, '1.41', compareVersions)).to.equal('application/vnd.docker.raw-stream');
    expect(streamContentType(false, '1.43', compareVersions)).to.equal('application/vnd.docker.multiplexed-stream');
    expect(streamContentType(true, '1.43', compareVersions)).to.equal('application/vnd.docker.raw-stream');
  });
});

describe('Engine API: router', () => {
  const routes = [route('GET', /^\/images\/(.+)\/json$/, () => undefined), route('DELETE', /^\/images\/(.+)$/, () => undefined)];

  it('image names may contain slashes and colons; params are decoded', () => {
    expect(match(routes, 'GET', '/images/127.0.0.1:5000/racker/busybox:latest/json')?.params).to.deep.equal(['127.0.0.1:5000/racker/busybox:latest']);
    expect(match(routes, 'DELETE', '/images/a%2Fb')?.params).to.deep.equal(['a/b']);
  });

  it('HEAD falls back to GET; an unknown method or path matches nothing', () => {
    expect(match(routes, 'HEAD', '/images/x/json')).to.not.equal(undefined);
    expect(match(routes, 'POST', '/images/x/json')).to.equal(undefined);
    expect(match(routes, 'GET', '/networks')).to.equal(undefined);
  });

  it('reads boolean query flags like dockerd', () => {
    const q = new URLSearchParams('a=1&b=true&c=0&d=&e=False');
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => flag(q, k))).to.deep.equal([true, true, false, false, false, false]);
  });
});

describe('Engine API: create body → racker CreateOptions', () => {
  it('maps what docker run sends', () => {
    const { options, meta } = createOptionsFrom({
      Image: 'debian',
      Cmd: ['sh', '-c', 'echo hi'],
      Env: ['A=1', 'UNSET'],
      WorkingDir: '/tmp',
      User: 'nobody',
      Hostname: '',
      Tty: true,
      AttachStdout: true,
      AttachStderr: true,
      Labels: { app: 'x' },
      HostConfig: { AutoRemove: true, NetworkMode: 'default', Binds: ['/srv:/data:ro'], PortBindings: {} },
    });
    expect(options).to.deep.include({
      image: 'debian',
      args: ['sh', '-c', 'echo hi'],
      env: ['A=1'],
      workdir: '/tmp',
      user: 'nobody',
      volumes: ['/srv:/data:ro'],
      network: 'bridge',
      publish: [],
      publishAll: false,
      // Tty: the main process gets a terminal (its output raw in the log and to attaches).
      tty: true,
      autoRemove: false,
      detach: false,
      pull: 'never',
    });
    expect(options).to.not.have.property('hostname');
    expect(meta).to.deep.equal({ autoRemove: true, tty: true, labels: { app: 'x' }, hostConfig: {}, config: {}, logConfig: { Type: 'json-file', Config: {} }, bareEnv: ['UNSET'] });
  });

  it('an Entrypoint array: first word replaces the entrypoint, the rest goes before Cmd', () => {
    expect(createOptionsFrom({ Image: 'i', Entrypoint: ['sh', '-c'], Cmd: ['echo x'] }).options).to.deep.include({ entrypoint: 'sh', args: ['-c', 'echo x'] });
    expect(createOptionsFrom({ Image: 'i', Entrypoint: [''], Cmd: null }).options).to.deep.include({ entrypoint: '', args: [] });
    expect(createOptionsFrom({ Image: 'i', Entrypoint: null, Cmd: null }).options).to.not.have.property('entrypoint');
  });

  it('nobody attached: detached (a system container may run just systemd)', () => {
    expect(createOptionsFrom({ Image: 'i' }).options.detach).to.equal(true);
  });

  it('bind Mounts become volumes; PortBindings become -p values (HostPort "" or "0": a free port; IPv6 in brackets)', () => {
    const { options } = createOptionsFrom({
      Image: 'i',
      HostConfig: {
        Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }],
        PortBindings: { '80/tcp': [{ HostPort: '8080' }, { HostIp: '::1', HostPort: '0' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '9000/tcp': null },
        PublishAllPorts: true,
        Dns: ['192.0.2.53'],
        ExtraHosts: ['h:192.0.2.9'],
      },
      NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['web'] } } },
    });
    expect(options.volumes).to.deep.equal(['/a:/b:ro']);
    expect(options.publish).to.deep.equal([':8080:80/tcp', '[::1]::80/tcp', '127.0.0.1::53/udp', '::9000/tcp']);
    expect(options).to.deep.include({ publishAll: true, dns: ['192.0.2.53'], addHosts: ['h:192.0.2.9'], networkAliases: ['web'], network: 'bridge' });
    expect(createOptionsFrom({ Image: 'i', HostConfig: { Mounts: [{ Type: 'volume', Target: '/b' }, { Type: 'volume', Source: 'data', Target: '/c', ReadOnly: true }] } }).options.volumes).to.deep.equal(['/b', 'data:/c:ro']);
    expect(() => createOptionsFrom({ Image: 'i', HostConfig: { Mounts: [{ Type: 'npipe', Target: '/b' }] } })).to.throw(/only bind, volume and tmpfs mounts/);
    // tmpfs: Tmpfs entries and tmpfs Mounts (size in bytes, mode in octal), with Init, StopSignal and StopTimeout.
    const t = createOptionsFrom({
      Image: 'i',
      StopSignal: 'SIGINT',
      StopTimeout: 3,
      HostConfig: { Init: true, Tmpfs: { '/run': '', '/x': 'size=1m' }, Mounts: [{ Type: 'tmpfs', Target: '/b', TmpfsOptions: { SizeBytes: 4096, Mode: 0o1777 } }] },
    }).options;
    expect(t).to.deep.include({ tmpfs: ['/run', '/x:size=1m', '/b:size=4096,mode=1777'], init: true, stopSignal: 'SIGINT', stopTimeout: 3 });
  });

  it('no Image: 400', () => {
    expect(() => createOptionsFrom({})).to.throw(/Config cannot be empty/);
  });
});

describe('Engine API: filters and pull progress', () => {
  it('parses both filter encodings; label filters kept apart', () => {
    expect(parseFilters('{"status":["running","exited"],"label":["a=1"]}')).to.deep.equal({ racker: [['status=running', 'status=exited']], labels: ['a=1'] });
    expect(parseFilters('{"name":{"web":true}}')).to.deep.equal({ racker: [['name=web']], labels: [] });
    expect(() => parseFilters('{"network":["x"]}')).to.throw(/invalid filter 'network'/);
  });

  it("racker's pull lines as the Engine's progress messages", () => {
    expect(progressMessage('bookworm: Pulling from library/debian')).to.deep.equal({ status: 'Pulling from library/debian', id: 'bookworm', progressDetail: {} });
    expect(progressMessage('c295c0f44317: Pull complete')).to.deep.equal({ status: 'Pull complete', id: 'c295c0f44317', progressDetail: {} });
    expect(progressMessage('Digest: sha256:abc')).to.deep.equal({ status: 'Digest: sha256:abc' });
    expect(progressMessage('Status: Downloaded newer image for x')).to.deep.equal({ status: 'Status: Downloaded newer image for x' });
  });
});

describe('Engine API: image filters', () => {
  const tags = ['127.0.0.1:5000/library/debian:bookworm'];

  it('reference: the repository, the whole name, or a glob within path components', () => {
    expect(referenceMatches('127.0.0.1:5000/library/debian', tags)).to.equal(true);
    expect(referenceMatches('127.0.0.1:5000/library/debian:bookworm', tags)).to.equal(true);
    expect(referenceMatches('127.0.0.1:5000/library/debian:book*', tags)).to.equal(true);
    expect(referenceMatches('127.0.0.1:5000/*/debian', tags)).to.equal(true);
    expect(referenceMatches('debian', tags)).to.equal(false);
    expect(referenceMatches('*', ['busybox:latest'])).to.equal(true);
    expect(referenceMatches('127.0.0.1:5000/*', tags)).to.equal(false);
  });

  it('dangling: untagged images only (or only tagged ones); unknown filters refused', () => {
    expect(imageFilter('{"dangling":["true"]}')([])).to.equal(true);
    expect(imageFilter('{"dangling":["true"]}')(tags)).to.equal(false);
    expect(imageFilter('{"dangling":{"false":true}}')(tags)).to.equal(true);
    expect(imageFilter(null)(tags)).to.equal(true);
    expect(() => imageFilter('{"before":["x"]}')).to.throw(/invalid filter 'before'/);
  });

  it('what racker does not act on is kept as given for inspect; an unknown log driver is refused as dockerd', () => {
    const { meta, options } = createOptionsFrom({
      Image: 'i',
      Env: ['Foo', 'Other=one', 'Blank='],
      HostConfig: { CpuShares: 512, Memory: 1048576, PidMode: 'host', Init: true, Tmpfs: { '/tmp': 'rw' }, LogConfig: { Type: 'none', Config: {} }, NetworkMode: 'default' },
      StopTimeout: 4,
    } as Parameters<typeof createOptionsFrom>[0]);
    // Resource limits are acted on (doc/resources.md): in the container's record, not kept aside.
    expect(meta.hostConfig).to.deep.equal({ PidMode: 'host', Init: true, Tmpfs: { '/tmp': 'rw' } });
    expect(options.resources).to.deep.equal({ cpuShares: 512, memory: 1048576 });
    expect(meta.config).to.deep.equal({ StopTimeout: 4 });
    expect(meta.logConfig).to.deep.equal({ Type: 'none', Config: {} });
    expect(meta.bareEnv).to.deep.equal(['Foo']);
    expect(() => createOptionsFrom({ Image: 'i', HostConfig: { LogConfig: { Type: 'asdf' } } })).to.throw("logger: no log driver named 'asdf' is registered");
  });
});

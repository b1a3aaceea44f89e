/**
 * The Engine API's JSON for containers and images, field by field: the list's summaries,
 * inspect's answers, and the create body's less common fields. Written for the mutation score
 * (doc/reliability.md, "Mutation score"); api-pure.test.ts has the common shapes.
 */
import { expect } from 'chai';
import { containerInspect, containerSummary, createOptionsFrom, labelMatches, parseFilters, publishFrom, runtimeOf } from '../../lib/api/container-json.js';
import { ApiError } from '../../lib/api/errors.js';
import { filterEntries } from '../../lib/api/filters.js';
import { imageInspect, imageSummary } from '../../lib/api/images.js';
import type { ContainerRecord } from '../../lib/container/record.js';
import type { ImageRecord } from '../../lib/image/store.js';

function apiError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return { status: (err as ApiError).status, message: (err as Error).message };
  }
  throw new Error('expected an ApiError');
}

const ID = 'ab'.repeat(32);

function record(over: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id: ID,
    name: 'web',
    created: '2026-01-01T00:00:00Z',
    image: { id: 'sha256:abc', name: 'debian:12' },
    config: { imageName: 'debian:12', imageId: 'sha256:abc', command: ['sleep', '60'], env: ['A=1'], hostname: 'web', tty: false, interactive: false, binds: [], network: 'host', boot: false, autoRemove: false },
    state: { status: 'exited', exitCode: 3, startedAt: '2026-01-01T00:00:10Z', finishedAt: '2026-01-01T00:01:00Z' },
    ...over,
  };
}

describe('Engine API JSON, field by field', () => {
  describe('container summary (GET /containers/json)', () => {
    it('an exited container: name with its slash, command, creation in seconds, no ports, state and status', () => {
      const now = Date.parse('2026-01-01T01:01:00Z');
      const r = record({ config: { ...record().config, binds: [{ host: '/srv/a', container: '/a', readOnly: true }, { host: '/srv/b', container: '/b', readOnly: false }] } });
      expect(containerSummary(r, { labels: { x: 'y' } } as never, now)).to.deep.equal({
        Id: ID,
        Names: ['/web'],
        Image: 'debian:12',
        ImageID: 'sha256:abc',
        Command: 'sleep 60',
        Created: 1767225600,
        Ports: [],
        Labels: { x: 'y' },
        State: 'exited',
        Status: 'Exited (3) About an hour ago',
        HostConfig: { NetworkMode: 'host' },
        // A stopped container on the host network: the host network's endpoint, empty.
        NetworkSettings: {
          Networks: {
            host: {
              IPAMConfig: null, Links: null, Aliases: null, NetworkID: '829764d39544c4444961e37f23114e6b1c1ba66b87e8cfb735cbfcda8346377e', EndpointID: '', Gateway: '',
              IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
            },
          },
        },
        Mounts: [
          { Type: 'bind', Source: '/srv/a', Destination: '/a', Mode: 'ro', RW: false, Propagation: '' },
          { Type: 'bind', Source: '/srv/b', Destination: '/b', Mode: '', RW: true, Propagation: '' },
        ],
      });
    });

    it('a container without a command shows /sbin/init; no labels kept: {}', () => {
      const s = containerSummary(record({ config: { ...record().config, command: [] } }), {} as never, Date.now());
      expect(s.Command).to.equal('/sbin/init');
      expect(s.Labels).to.deep.equal({});
    });

    it('a running container (this process stands in for it) lists each published port per address family', () => {
      const r = record({
        state: {
          status: 'running',
          startedAt: new Date().toISOString(),
          nspawnPid: process.pid,
          supervisorPid: process.pid,
          endpoint: { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }, { containerPort: 53, hostPort: 5353, protocol: 'udp', hostIp: '127.0.0.1' }] },
        } as ContainerRecord['state'],
      });
      const s = containerSummary(r, {} as never, Date.now());
      expect(s.State).to.equal('running');
      expect(s.Ports).to.deep.equal([
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
      ]);
    });
  });

  describe('container inspect', () => {
    it('dockerd\'s HostConfig defaults, what the client gave, then racker\'s own; Config with bare env and labels', () => {
      const r = record();
      const i = containerInspect(r, { autoRemove: true, tty: true, labels: { l: '1' }, hostConfig: { PidMode: 'host', Memory: 5 }, config: { StopTimeout: 4 }, bareEnv: ['FOO'] } as never);
      expect(i.Driver).to.equal('overlay');
      expect(i.Platform).to.equal('linux');
      expect(i.RestartCount).to.equal(0);
      expect(i.LogPath).to.equal('');
      const config = i.Config as Record<string, unknown>;
      expect(config.Env).to.deep.equal(['A=1', 'FOO']);
      expect(config.StopTimeout).to.equal(4);
      expect([config.Tty, config.Labels, config.Entrypoint, config.AttachStdout, config.AttachStderr]).to.deep.equal([true, { l: '1' }, null, false, false]);
      const host = i.HostConfig as Record<string, unknown>;
      expect(host.PidMode).to.equal('host');
      expect(host.AutoRemove).to.equal(true);
      expect(host.LogConfig).to.deep.equal({ Type: 'json-file', Config: {} });
      expect(host.IpcMode).to.equal('private');
      expect(host.Runtime).to.equal('systemd-nspawn');
      expect(host.ShmSize).to.equal(67108864);
      expect(host.RestartPolicy).to.deep.equal({ Name: 'no', MaximumRetryCount: 0 });
      expect(host.Devices).to.deep.equal([]);
      for (const k of ['CpuShares', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuPeriod', 'CpuQuota']) expect(host[k], k).to.equal(0);
      for (const k of ['CpusetCpus', 'CpusetMems', 'UTSMode', 'UsernsMode', 'VolumeDriver', 'Isolation']) expect(host[k], k).to.equal('');
      for (const k of ['PidsLimit', 'Init', 'Tmpfs', 'CapAdd', 'CapDrop', 'GroupAdd', 'SecurityOpt', 'DeviceCgroupRules', 'VolumesFrom', 'Links', 'Ulimits']) expect(host[k], k).to.equal(null);
      for (const k of ['Privileged', 'ReadonlyRootfs', 'OomKillDisable']) expect(host[k], k).to.equal(false);
    });

    it('without meta: no tty, no labels, no auto-remove, the restart count kept', () => {
      const i = containerInspect(record({ state: { ...record().state, restartCount: 2 } }), {} as never);
      expect(i.RestartCount).to.equal(2);
      expect((i.Config as Record<string, unknown>).Tty).to.equal(false);
      expect((i.Config as Record<string, unknown>).Labels).to.deep.equal({});
      expect((i.Config as Record<string, unknown>).Env).to.deep.equal(['A=1']);
      expect((i.HostConfig as Record<string, unknown>).AutoRemove).to.equal(false);
    });
  });

  describe('image summary and inspect', () => {
    const image: ImageRecord = {
      id: 'sha256:abc',
      created: '2026-01-01T00:00:00Z',
      size: 1234,
      config: { Labels: { a: 'b' }, Env: ['PATH=/bin'], Cmd: ['sh'], User: 'u', WorkingDir: '/w', Entrypoint: ['/e'], ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGINT' },
      origin: { kind: 'registry', reference: 'debian:12', manifestDigest: 'sha256:def' },
      systemd: true,
    } as ImageRecord;

    it('summary: tags sorted, digests, creation in seconds, sizes, labels and the containers using it', () => {
      expect(imageSummary(image, { tags: ['z:1', 'a:1'], digests: ['a@sha256:1'] }, 2)).to.deep.equal({
        Id: 'sha256:abc', ParentId: '', RepoTags: ['a:1', 'z:1'], RepoDigests: ['a@sha256:1'], Created: 1767225600, Size: 1234, VirtualSize: 1234, SharedSize: -1, Labels: { a: 'b' }, Containers: 2,
      });
      const bare = imageSummary({ ...image, created: undefined, config: {}, origin: { kind: 'commit', container: 'c', base: 'sha256:base' } } as ImageRecord, undefined, 0);
      expect([bare.ParentId, bare.RepoTags, bare.RepoDigests, bare.Created, bare.Labels]).to.deep.equal(['sha256:base', [], [], 0, {}]);
      expect(imageSummary({ ...image, created: 'garbage' } as ImageRecord, { tags: [], digests: [] }, 0).Created).to.equal(0);
    });

    it('inspect: the image config as docker shows it, platform defaults, racker\'s origin', () => {
      const i = imageInspect(image, { tags: ['z:1', 'a:1'], digests: [] });
      expect(i.RepoTags).to.deep.equal(['a:1', 'z:1']);
      expect([i.Parent, i.Comment, i.Created, i.Container, i.DockerVersion, i.Author]).to.deep.equal(['', '', '2026-01-01T00:00:00Z', '', '', '']);
      expect(i.Config).to.deep.equal({
        Hostname: '', Domainname: '', User: 'u', AttachStdin: false, AttachStdout: false, AttachStderr: false, ExposedPorts: { '80/tcp': {} }, Tty: false, OpenStdin: false, StdinOnce: false,
        Env: ['PATH=/bin'], Cmd: ['sh'], Image: '', Volumes: null, WorkingDir: '/w', Entrypoint: ['/e'], OnBuild: null, Labels: { a: 'b' }, StopSignal: 'SIGINT',
      });
      expect([i.Architecture, i.Os, i.Size, i.VirtualSize]).to.deep.equal(['amd64', 'linux', 1234, 1234]);
      expect(i).not.to.have.property('Variant');
      expect(i.GraphDriver).to.deep.equal({ Name: 'overlay', Data: null });
      expect(i.RootFS).to.deep.equal({ Type: 'layers', Layers: [] });
      expect(i.Metadata).to.deep.equal({ LastTagTime: '0001-01-01T00:00:00Z' });
      expect(i.Racker).to.deep.equal({ Systemd: true, Origin: image.origin });
    });

    it('inspect of a bare image: docker\'s empty values; a commit names its container and base; an import its comment', () => {
      const bare = imageInspect({ id: 'sha256:x', size: 1, config: {}, origin: { kind: 'load' }, systemd: false, architecture: 'arm', variant: 'v7', os: 'linux' } as ImageRecord, undefined);
      expect([bare.RepoTags, bare.RepoDigests, bare.Created, bare.Architecture, bare.Variant]).to.deep.equal([[], [], '0001-01-01T00:00:00Z', 'arm', 'v7']);
      const c = bare.Config as Record<string, unknown>;
      expect([c.User, c.ExposedPorts, c.Env, c.Cmd, c.WorkingDir, c.Entrypoint, c.Labels]).to.deep.equal(['', null, [], null, '', null, null]);
      expect(c).not.to.have.property('StopSignal');
      const commit = imageInspect({ ...image, origin: { kind: 'commit', container: 'cid', base: 'sha256:base', containerConfig: { Hostname: 'h' } } } as ImageRecord, undefined);
      expect([commit.Parent, commit.Container, commit.ContainerConfig]).to.deep.equal(['sha256:base', 'cid', { Hostname: 'h' }]);
      expect(imageInspect({ ...image, origin: { kind: 'import', source: 'x.tar', comment: 'made by hand' } } as ImageRecord, undefined).Comment).to.equal('made by hand');
      expect(imageInspect({ ...image, origin: { kind: 'import', source: 'x.tar' } } as ImageRecord, undefined).Comment).to.equal('');
    });
  });

  describe('filters', () => {
    it('?filters= that is not a JSON object of lists or maps: 400', () => {
      expect(filterEntries(null)).to.deep.equal([]);
      expect(filterEntries('')).to.deep.equal([]);
      expect(filterEntries('{"a":{"x":true,"y":false},"b":[1]}')).to.deep.equal([['a', ['x']], ['b', ['1']]]);
      for (const bad of ['{', '[]', 'null', '"x"']) expect(apiError(() => filterEntries(bad)), bad).to.deep.equal({ status: 400, message: 'invalid filter' });
      expect(apiError(() => filterEntries('{"a":"x"}'))).to.deep.equal({ status: 400, message: "invalid filter 'a'" });
      expect(apiError(() => filterEntries('{"a":null}'))).to.deep.equal({ status: 400, message: "invalid filter 'a'" });
    });

    it('container filters: name, status, id, ancestor; labels all of them', () => {
      expect(parseFilters('{"id":["ab"],"ancestor":["debian"],"name":["w"]}')).to.deep.equal({ racker: [['id=ab'], ['ancestor=debian'], ['name=w']], labels: [] });
      expect(apiError(() => parseFilters('{"exited":["0"]}'))).to.deep.equal({ status: 400, message: "invalid filter 'exited' (racker supports name, status, id, ancestor, label)" });
      expect(labelMatches({ a: '1', b: '2' }, ['a', 'b=2'])).to.equal(true);
      expect(labelMatches({ a: '1' }, ['a', 'b'])).to.equal(false);
      expect(labelMatches({}, [])).to.equal(true);
    });
  });

  describe('create body', () => {
    it('runtimes: racker\'s and docker\'s default name; anything else 400', () => {
      expect(runtimeOf(undefined)).to.equal(undefined);
      expect(runtimeOf('')).to.equal(undefined);
      expect(runtimeOf('runc')).to.equal('runc');
      expect(runtimeOf('systemd-nspawn')).to.equal('systemd-nspawn');
      expect(apiError(() => runtimeOf('kata'))).to.deep.equal({ status: 400, message: 'unknown or invalid runtime name: kata' });
      expect(createOptionsFrom({ Image: 'i', HostConfig: { Runtime: 'runc' } } as never).meta.hostConfig).to.deep.equal({ Runtime: 'runc' });
      expect(createOptionsFrom({ Image: 'i', Runtime: 'systemd-nspawn' } as never).meta.hostConfig).to.deep.equal({ Runtime: 'systemd-nspawn' });
    });

    it('port bindings: every binding of a port, an IPv6 address in brackets, a port without bindings', () => {
      expect(publishFrom({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '::1', HostPort: '0' }], '53/udp': null, '22/tcp': [{}] })).to.deep.equal([
        '127.0.0.1:8080:80/tcp', '[::1]::80/tcp', '::53/udp', '::22/tcp',
      ]);
      expect(publishFrom(null)).to.deep.equal([]);
    });

    it('tmpfs mounts with their options, volumes, and what is refused', () => {
      const { options } = createOptionsFrom({
        Image: 'i',
        HostConfig: {
          Tmpfs: { '/run': '', '/tmp': 'size=1m' },
          Mounts: [
            { Type: 'tmpfs', Target: '/a', ReadOnly: true, TmpfsOptions: { SizeBytes: 1048576.7, Mode: 0o1777 } },
            { Type: 'tmpfs', Target: '/b' },
            { Type: 'volume', Target: '/v' },
            { Type: 'volume', Source: 'data', Target: '/d', ReadOnly: true },
            { Type: 'bind', Source: '/srv', Target: '/s' },
          ],
        },
      } as never);
      expect(options.tmpfs).to.deep.equal(['/run', '/tmp:size=1m', '/a:ro,size=1048576,mode=1777', '/b']);
      expect(options.volumes).to.deep.equal(['/v', 'data:/d:ro', '/srv:/s']);
      for (const m of [{ Type: 'npipe', Target: '/x' }, { Type: 'bind', Target: '/x' }, { Type: 'volume' }, {}]) {
        expect(apiError(() => createOptionsFrom({ Image: 'i', HostConfig: { Mounts: [m] } } as never)).status, JSON.stringify(m)).to.equal(400);
      }
      expect(apiError(() => createOptionsFrom({ Image: 'i', HostConfig: { Mounts: [{ Type: 'npipe', Target: '/x' }] } } as never)).message).to.equal(
        'mount type npipe is not supported (only bind, volume and tmpfs mounts, with a Target)',
      );
      expect(apiError(() => createOptionsFrom({ Image: 'i', HostConfig: { Mounts: [{ Target: '/x' }] } } as never)).message).to.equal(
        'mount type ? is not supported (only bind, volume and tmpfs mounts, with a Target)',
      );
      for (const b of ['./data:/d', '../data:/d', '.:/d']) {
        expect(apiError(() => createOptionsFrom({ Image: 'i', HostConfig: { Binds: [b] } } as never)), b).to.deep.equal({ status: 400, message: `invalid volume specification: '${b}': the host path must be absolute` });
      }
      expect(createOptionsFrom({ Image: 'i', HostConfig: { Binds: ['.data:/d'] } } as never).options.volumes).to.deep.equal(['.data:/d']);
    });

    it('network settings, restart policy, and the rest of what docker run sends', () => {
      const { options, meta } = createOptionsFrom({
        Image: 'i',
        Entrypoint: '/bin/sh',
        Cmd: '-c',
        User: 'u',
        Hostname: 'h',
        WorkingDir: '/w',
        MacAddress: '02:00:00:00:00:01',
        StopSignal: 'SIGINT',
        StopTimeout: 0,
        Healthcheck: { Test: ['CMD', 'true'] },
        ExposedPorts: { '80/tcp': {} },
        Labels: { a: 'b' },
        Tty: true,
        OpenStdin: true,
        AttachStdout: true,
        HostConfig: {
          NetworkMode: 'net1',
          Dns: ['1.1.1.1'],
          ExtraHosts: ['h:1.2.3.4'],
          Links: ['db:db'],
          DeviceCgroupRules: ['c 1:3 r'],
          PublishAllPorts: true,
          Init: true,
          RestartPolicy: { Name: 'always' },
        },
        NetworkingConfig: { EndpointsConfig: { net1: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.0.0.5' }, MacAddress: '02:00:00:00:00:02' } } },
      } as never);
      expect(options).to.deep.include({
        entrypoint: '/bin/sh', args: ['-c'], user: 'u', hostname: 'h', workdir: '/w', network: 'net1', publishAll: true, exposedPorts: { '80/tcp': {} },
        networkAliases: ['web'], ip: '10.0.0.5', macAddress: '02:00:00:00:00:02', dns: ['1.1.1.1'], addHosts: ['h:1.2.3.4'], links: ['db:db'],
        deviceCgroupRules: ['c 1:3 r'], tty: true, interactive: true, autoRemove: false, detach: false, pull: 'never', init: true, stopSignal: 'SIGINT', stopTimeout: 0,
        healthcheck: { Test: ['CMD', 'true'] },
      });
      expect(options.restart).to.not.equal(undefined);
      expect(meta).to.deep.include({ autoRemove: false, tty: true, labels: { a: 'b' } });
      expect(createOptionsFrom({ Image: 'i', MacAddress: '02:00:00:00:00:01' } as never).options.macAddress).to.equal('02:00:00:00:00:01');
      const plain = createOptionsFrom({ Image: 'i', HostConfig: { NetworkMode: 'default' } } as never).options;
      expect(plain.network).to.equal('bridge');
      expect(createOptionsFrom({ Image: 'i' } as never).options.network).to.equal('bridge');
      for (const k of ['entrypoint', 'user', 'hostname', 'workdir', 'exposedPorts', 'networkAliases', 'ip', 'macAddress', 'dns', 'addHosts', 'links', 'deviceCgroupRules', 'tmpfs', 'init', 'stopSignal', 'stopTimeout', 'healthcheck', 'restart', 'resources']) {
        expect(plain, k).not.to.have.property(k);
      }
      expect([plain.tty, plain.interactive, plain.publishAll, plain.detach]).to.deep.equal([false, false, false, true]);
      expect(apiError(() => createOptionsFrom({ Image: 'i', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } } as never))).to.deep.equal({
        status: 400,
        message: 'conflicting options: AutoRemove and RestartPolicy',
      });
    });
  });
});

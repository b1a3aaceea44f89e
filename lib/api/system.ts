/** /_ping, /version, /info: who answers, which API versions, what it holds. */
import os from 'node:os';
import type { Engine } from './engine.js';
import type { Exchange } from './exchange.js';
import { route, type Route } from './router.js';
import { MAX_API_VERSION, MIN_API_VERSION } from './version.js';
import { listContainers, liveState } from '../container/record.js';
import { listImages } from '../image/store.js';

/** Headers every answer carries, like dockerd's. */
export function serverHeaders(engine: Engine): Record<string, string> {
  return { Server: `racker/${engine.version} (linux)`, 'Api-Version': MAX_API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux' };
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** Also `racker version`'s Server part: the same answer without a service. */
export function versionBody(engine: Pick<Engine, 'version'>): Record<string, unknown> {
  const details = {
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    Arch: GO_ARCH[process.arch] ?? process.arch,
    Os: 'linux',
    KernelVersion: os.release(),
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    BuildTime: '',
  };
  return {
    Platform: { Name: 'racker' },
    // Details are all strings; the top-level Experimental is a bool.
    Components: [{ Name: 'Engine', Version: engine.version, Details: { ...details, Experimental: 'false', Runtime: 'systemd-nspawn' } }],
    Version: engine.version,
    ...details,
    Experimental: false,
  };
}

/** Also what `racker info` shows. */
export async function infoBody(engine: Pick<Engine, 'ctx' | 'version'>): Promise<Record<string, unknown>> {
  const { ctx } = engine;
  const [containers, images] = await Promise.all([listContainers(ctx.paths), listImages(ctx.paths)]);
  const states = containers.map((c) => liveState(c).status);
  const running = states.filter((s) => s === 'running').length;
  return {
    ID: '',
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: containers.length - running,
    Images: images.length,
    Driver: 'overlay',
    DriverStatus: [],
    Plugins: { Volume: [], Network: ['host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: ctx.log.verbose,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: ctx.clock().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'none',
    CgroupVersion: '2',
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: 'racker (systemd-nspawn)',
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: ctx.paths.lib,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: engine.version,
    Runtimes: { 'systemd-nspawn': { path: 'systemd-nspawn' } },
    DefaultRuntime: 'systemd-nspawn',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: [],
    Warnings: [],
  };
}

export function systemRoutes(engine: Engine): Route[] {
  const ping = (x: Exchange) => x.text(200, x.method === 'HEAD' ? '' : 'OK', { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '1', Swarm: 'inactive' });
  return [
    route('HEAD', /^\/_ping$/, ping),
    route('GET', /^\/_ping$/, ping),
    route('GET', /^\/version$/, (x) => x.json(200, versionBody(engine))),
    route('GET', /^\/info$/, async (x) => x.json(200, await infoBody(engine))),
    route('GET', /^\/system\/df$/, async (x) => x.json(200, await (await import('./df.js')).dataUsage(engine))),
  ];
}

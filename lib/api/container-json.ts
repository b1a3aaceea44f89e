/**
 * The Engine API's container JSON, both ways: a /containers/create body to racker's create
 * options (and what racker keeps as given, to answer inspect as dockerd), list filters, and a
 * record to the list's summary and inspect's answer. No I/O but a record's live state; table-
 * tested in test/unit/api-pure.test.ts. The handlers that use it are in containers.ts.
 */
import type { CreateOptions } from '../container/create.js';
import type { DockerHealthcheck } from '../container/health.js';
import { restartPolicyOf } from '../container/restart-policy.js';
import { isRestarting, liveState, type ContainerRecord } from '../container/record.js';
import { inspectContainer, statusText } from '../container/view.js';
import type { ApiMeta, Engine } from './engine.js';
import { matchesLabel } from '../format/labels.js';
import { anonymousVolumesFrom } from './config-volumes.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import { networkSettingsOf } from '../net/inspect.js';
import { HOST_CONFIG_FIELDS, hasResources, resourcesFromHostConfig } from '../container/limits.js';
import type { PublishedPort } from '../net/ports.js';

/** The list's Ports: one entry per address family of each published port, as dockerd. */
function summaryPorts(ports: readonly PublishedPort[]): Record<string, unknown>[] {
  return ports.flatMap((p) => (p.hostIp ? [p.hostIp] : ['0.0.0.0', '::']).map((ip) => ({ IP: ip, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol })));
}

/** The parts of a /containers/create body racker reads (docker's field names). */
export interface CreateBody {
  Image?: string;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  MacAddress?: string;
  Healthcheck?: DockerHealthcheck | null;
  HostConfig?: {
    Binds?: string[] | null;
    Mounts?: { Type?: string; Source?: string; Target?: string; ReadOnly?: boolean; TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null }[] | null;
    Tmpfs?: Record<string, string> | null;
    Init?: boolean | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
    AutoRemove?: boolean;
    NetworkMode?: string;
    PortBindings?: PortBindings | null;
    PublishAllPorts?: boolean;
    LogConfig?: { Type?: string; Config?: Record<string, string> | null } | null;
    Dns?: string[] | null;
    ExtraHosts?: string[] | null;
    Links?: string[] | null;
    DeviceCgroupRules?: string[] | null;
  } | null;
  ExposedPorts?: Record<string, unknown> | null;
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null; MacAddress?: string } | null> | null;
  } | null;
}

function strings(v: string[] | string | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? [v] : v;
}

/** docker's NetworkMode names → racker's: "default" is the bridge network, as in dockerd. */
function networkOf(mode: string | undefined): string {
  if (!mode || mode === 'default') return 'bridge';
  return mode;
}

/** HostConfig.PortBindings as -p values; HostPort "" or "0" is a port the kernel picks. */
type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

export function publishFrom(bindings: PortBindings | null | undefined): string[] {
  const publish: string[] = [];
  for (const [port, list] of Object.entries(bindings ?? {})) {
    for (const b of list ?? [{}]) {
      const ip = b.HostIp && b.HostIp.includes(':') ? `[${b.HostIp}]` : (b.HostIp ?? '');
      const hostPort = b.HostPort === '0' ? '' : (b.HostPort ?? '');
      publish.push(`${ip}:${hostPort}:${port}`);
    }
  }
  return publish;
}

/** Log drivers whose output racker's json-file log can stand for (none: nothing to read back). */
const LOG_DRIVERS = new Set(['json-file', 'local', 'journald', 'none']);

/** HostConfig and Config fields racker reads itself; the rest is kept as given for inspect. */
const HOST_CONFIG_READ = new Set(['Binds', 'Mounts', 'AutoRemove', 'NetworkMode', 'Links', 'DeviceCgroupRules', 'PortBindings', 'PublishAllPorts', 'Dns', 'ExtraHosts', 'LogConfig', ...Object.values(HOST_CONFIG_FIELDS)]);
const CONFIG_KEPT = ['StopTimeout', 'StopSignal', 'Healthcheck', 'Domainname', 'MacAddress', 'Shell', 'OnBuild', 'Volumes'] as const;

/**
 * Runtimes racker answers to: its own (what inspect says by default) and docker's default name,
 * which clients send without meaning anything else by it. Undefined: not given.
 */
const RUNTIMES = new Set(['runc', 'systemd-nspawn']);

export function runtimeOf(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  if (!RUNTIMES.has(name)) throw new ApiError(400, `unknown or invalid runtime name: ${name}`);
  return name;
}

function keptAsGiven(body: CreateBody): Pick<ApiMeta, 'hostConfig' | 'config' | 'logConfig'> {
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  const hostConfig = Object.fromEntries(Object.entries(host).filter(([k, v]) => !HOST_CONFIG_READ.has(k) && v !== undefined));
  const raw = body as Record<string, unknown>;
  const config = Object.fromEntries(CONFIG_KEPT.filter((k) => raw[k] !== undefined && raw[k] !== null).map((k) => [k, raw[k]]));
  const log = body.HostConfig?.LogConfig;
  const type = log?.Type || 'json-file';
  if (!LOG_DRIVERS.has(type)) throw new ApiError(400, `logger: no log driver named '${type}' is registered`);
  // docker-py sends Runtime beside Config; dockerd reads HostConfig's.
  const runtime = runtimeOf((host.Runtime as string | undefined) || (raw.Runtime as string | undefined));
  return { hostConfig: { ...hostConfig, ...(runtime ? { Runtime: runtime } : {}) }, config, logConfig: { Type: type, Config: log?.Config ?? {} } };
}

/** The main process's terminal, sized once it exists (tried for a few seconds). */
export function createOptionsFrom(body: CreateBody): { options: CreateOptions; meta: ApiMeta } {
  if (!body.Image) throw new ApiError(400, 'Config cannot be empty in order to create a container');
  const entrypoint = strings(body.Entrypoint);
  const cmd = strings(body.Cmd) ?? [];
  const host = body.HostConfig ?? {};
  const volumes = [...(host.Binds ?? [])];
  // The docker CLI sends ./relative paths made absolute; the service has no current directory of the client's.
  for (const b of volumes) if (/^\.\.?(\/|:)/.test(b)) throw new ApiError(400, `invalid volume specification: '${b}': the host path must be absolute`);
  const tmpfs = Object.entries(host.Tmpfs ?? {}).map(([target, options]) => (options ? `${target}:${options}` : target));
  for (const m of host.Mounts ?? []) {
    if (m.Type === 'tmpfs' && m.Target) {
      const o = m.TmpfsOptions ?? {};
      const options = [...(m.ReadOnly ? ['ro'] : []), ...(o.SizeBytes ? [`size=${Math.trunc(o.SizeBytes)}`] : []), ...(o.Mode ? [`mode=${Math.trunc(o.Mode).toString(8)}`] : [])];
      tmpfs.push(options.length ? `${m.Target}:${options.join(',')}` : m.Target);
      continue;
    }
    if (!m.Target || (m.Type !== 'bind' && m.Type !== 'volume') || (m.Type === 'bind' && !m.Source)) {
      throw new ApiError(400, `mount type ${m.Type ?? '?'} is not supported (only bind, volume and tmpfs mounts, with a Target)`);
    }
    // A volume without a Source is anonymous (-v /path).
    volumes.push(m.Type === 'volume' && !m.Source ? m.Target : `${m.Source}:${m.Target}${m.ReadOnly ? ':ro' : ''}`);
  }
  volumes.push(...anonymousVolumesFrom((body as { Volumes?: unknown }).Volumes, volumes));
  const network = networkOf(host.NetworkMode);
  const restart = restartPolicyOf(host.RestartPolicy);
  if (restart && host.AutoRemove) throw new ApiError(400, 'conflicting options: AutoRemove and RestartPolicy');
  const resources = resourcesFromHostConfig(host as Record<string, unknown>);
  const endpoint = body.NetworkingConfig?.EndpointsConfig?.[network] ?? undefined;
  const attached = Boolean(body.AttachStdin || body.AttachStdout || body.AttachStderr);
  const options: CreateOptions = {
    image: body.Image,
    // An Entrypoint array: its first word replaces the image's, the rest goes before Cmd.
    ...(entrypoint?.length ? { entrypoint: entrypoint[0]!, args: [...entrypoint.slice(1), ...cmd] } : { args: cmd }),
    // Only KEY=VALUE: a bare KEY would take a value from the service's own environment.
    env: (body.Env ?? []).filter((e) => e.includes('=')),
    ...(body.WorkingDir ? { workdir: body.WorkingDir } : {}),
    ...(body.User ? { user: body.User } : {}),
    ...(body.Hostname ? { hostname: body.Hostname } : {}),
    volumes,
    network,
    publish: publishFrom(host.PortBindings),
    publishAll: Boolean(host.PublishAllPorts),
    ...(body.ExposedPorts ? { exposedPorts: body.ExposedPorts } : {}),
    ...(endpoint?.Aliases?.length ? { networkAliases: endpoint.Aliases } : {}),
    ...(endpoint?.IPAMConfig?.IPv4Address ? { ip: endpoint.IPAMConfig.IPv4Address } : {}),
    // The endpoint's (API 1.44) or, before it, the container's.
    ...(endpoint?.MacAddress || body.MacAddress ? { macAddress: endpoint?.MacAddress || body.MacAddress } : {}),
    ...(host.Dns?.length ? { dns: host.Dns } : {}),
    ...(host.ExtraHosts?.length ? { addHosts: host.ExtraHosts } : {}),
    ...(host.Links?.length ? { links: host.Links } : {}),
    ...(host.DeviceCgroupRules?.length ? { deviceCgroupRules: host.DeviceCgroupRules } : {}),
    // A terminal for the main process (docker run -it): its output goes raw to the log and to attaches.
    tty: Boolean(body.Tty),
    interactive: Boolean(body.OpenStdin),
    // Removal is the service's job, after the exit code is known (wait condition=removed).
    autoRemove: false,
    // Nobody attached (-d, or an API client's plain create): a system container may run just systemd.
    detach: !attached,
    // dockerd's create never pulls: a 404 makes the client pull and create again.
    pull: 'never',
    ...(tmpfs.length ? { tmpfs } : {}),
    ...(host.Init ? { init: true } : {}),
    ...(body.StopSignal ? { stopSignal: body.StopSignal } : {}),
    ...(typeof body.StopTimeout === 'number' ? { stopTimeout: body.StopTimeout } : {}),
    ...(body.Healthcheck ? { healthcheck: body.Healthcheck } : {}),
    ...(restart ? { restart } : {}),
    ...(hasResources(resources) ? { resources } : {}),
  };
  return {
    options,
    meta: {
      autoRemove: Boolean(host.AutoRemove),
      tty: Boolean(body.Tty),
      labels: body.Labels ?? {},
      ...keptAsGiven(body),
      ...(body.Env?.some((e) => !e.includes('=')) ? { bareEnv: body.Env.filter((e) => !e.includes('=')) } : {}),
    },
  };
}

/** ?filters={"status":["running"]} (or the old {"status":{"running":true}}) as racker's name=… filters, plus labels. */
export function parseFilters(text: string | null): { racker: string[][]; labels: string[] } {
  const racker: string[][] = [];
  let labels: string[] = [];
  for (const [key, values] of filterEntries(text)) {
    if (key === 'label') labels = values;
    else if (['name', 'status', 'id', 'ancestor'].includes(key)) racker.push(values.map((v) => `${key}=${v}`));
    else throw new ApiError(400, `invalid filter '${key}' (racker supports name, status, id, ancestor, label)`);
  }
  return { racker, labels };
}

export function labelMatches(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((w) => matchesLabel(labels, w));
}

function unixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

export function containerSummary(r: ContainerRecord, meta: ApiMeta, now: number): Record<string, unknown> {
  const c = r.config;
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.image.name,
    ImageID: r.image.id,
    Command: c.command.length ? c.command.join(' ') : '/sbin/init',
    Created: unixSeconds(r.created),
    Ports: liveState(r).status === 'running' ? summaryPorts(r.state.endpoint?.ports ?? []) : [],
    Labels: meta.labels ?? {},
    State: isRestarting(liveState(r)) ? 'restarting' : liveState(r).status,
    Status: statusText(r, now),
    HostConfig: { NetworkMode: c.network },
    NetworkSettings: { Networks: (networkSettingsOf(r, liveState(r).status === 'running') as { Networks: unknown }).Networks },
    Mounts: c.binds.map((b) => ({ Type: 'bind', Source: b.host, Destination: b.container, Mode: b.readOnly ? 'ro' : '', RW: !b.readOnly, Propagation: '' })),
  };
}

/** dockerd's zero values for the HostConfig fields a client may read without having set them. */
const HOST_CONFIG_DEFAULTS: Record<string, unknown> = {
  CpuShares: 0,
  Memory: 0,
  MemorySwap: 0,
  MemoryReservation: 0,
  NanoCpus: 0,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpusetCpus: '',
  CpusetMems: '',
  PidsLimit: null,
  PidMode: '',
  IpcMode: 'private',
  UTSMode: '',
  UsernsMode: '',
  Privileged: false,
  ReadonlyRootfs: false,
  Init: null,
  Tmpfs: null,
  CapAdd: null,
  CapDrop: null,
  GroupAdd: null,
  SecurityOpt: null,
  Devices: [],
  DeviceCgroupRules: null,
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  VolumeDriver: '',
  VolumesFrom: null,
  Links: null,
  Isolation: '',
  Runtime: 'systemd-nspawn',
  ShmSize: 67108864,
  OomKillDisable: false,
  Ulimits: null,
};

export function containerInspect(r: ContainerRecord, meta: ApiMeta): Record<string, unknown> {
  const base = inspectContainer(r) as { Config: Record<string, unknown>; HostConfig: Record<string, unknown> } & Record<string, unknown>;
  return {
    ...base,
    Driver: 'overlay',
    Platform: 'linux',
    RestartCount: r.state.restartCount ?? 0,
    LogPath: '',
    Config: { ...base.Config, ...meta.config, Env: [...((base.Config.Env as string[] | undefined) ?? []), ...(meta.bareEnv ?? [])], Tty: Boolean(meta.tty), Labels: meta.labels ?? {}, Entrypoint: null, AttachStdout: false, AttachStderr: false },
    // dockerd reports every HostConfig field; what the client gave stands where racker has no say.
    HostConfig: {
      ...HOST_CONFIG_DEFAULTS,
      ...meta.hostConfig,
      ...base.HostConfig,
      AutoRemove: Boolean(meta.autoRemove),
      LogConfig: meta.logConfig ?? { Type: 'json-file', Config: {} },
    },
  };
}

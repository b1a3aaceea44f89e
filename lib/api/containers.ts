/**
 * /containers: the same operations as racker's verbs (lib/container), answered the way
 * dockerd answers. Containers run under racker's detached supervisor (what `racker start`
 * uses), so they outlive the service. An attach made before the start gets the output live
 * from the supervisor (output channel); later attaches and logs read the json-file log.
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { killContainer, normalizeSignal, reapOrphan, stopContainer } from '../container/control.js';
import { createContainer, type CreateOptions } from '../container/create.js';
import { followLogs } from '../container/follow.js';
import type { DockerHealthcheck } from '../container/health.js';
import { restartPolicyOf } from '../container/restart-policy.js';
import { pipeToOpenStdin } from '../container/open-stdin.js';
import { scanForDetach } from '../container/detach-keys.js';
import { detachKeysOf, hangUp } from './detach.js';
import { resizeTerminal, terminalUnder } from '../container/terminal.js';
import { readLog, type LogEntry } from '../container/logs.js';
import { findContainer, isRestarting, listContainers, liveState, readContainer, readLive, type ContainerRecord, type ContainerState } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { startContainer } from '../container/start.js';
import { inspectContainer, matchesFilter, statusText } from '../container/view.js';
import { NotFoundError, RackerError, UsageError } from '../errors.js';
import type { OutputListener } from './channel.js';
import { API_POLL_MS, exitResult, type ApiMeta, type Engine, type ExitResult } from './engine.js';
import { matchesLabel } from '../format/labels.js';
import { anonymousVolumesFrom } from './config-volumes.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import type { StreamOut } from './exchange.js';
import { frame, streamContentType } from './frames.js';
import { flag, route, type Route } from './router.js';
import { compareVersions } from './version.js';
import { networkSettingsOf } from '../net/inspect.js';
import { resourceRoutes } from './resources.js';
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
async function resizeWhenThere(ctx: Context, id: string, rows: number, cols: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await readContainer(ctx.paths, id);
    if (!r || liveState(r).status !== 'running') return;
    const holder = r.config.boot ? r.state.commandPid : r.state.leaderPid;
    const terminal = holder ? terminalUnder(holder) : undefined;
    if (terminal) return resizeTerminal(ctx, terminal, rows, cols);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** stop's and restart's ?t=: seconds before SIGKILL; absent, the container's own StopTimeout applies. */
function stopTimeoutOf(query: URLSearchParams): number | undefined {
  const t = query.get('t');
  if (t === null || t === '') return undefined;
  if (!/^-?\d+$/.test(t)) throw new ApiError(400, `invalid value for t: ${t}`);
  return Number(t);
}

/** A create body as racker's CreateOptions (pure; the caller adds the name). */
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

function labelMatches(labels: Record<string, string>, wanted: readonly string[]): boolean {
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

/** Whether `now` (its live state decided once) is the end of a run that began after `before` (a wait or attach set up earlier). */
function endedSince(before: ContainerRecord, now: { record: ContainerRecord; state: ContainerState }, sawRunning: boolean): boolean {
  if (now.state.status !== 'exited') return false;
  const s = now.record.state;
  // A start that failed before the container ran records an end but no start.
  return sawRunning || s.startedAt !== before.state.startedAt || s.finishedAt !== before.state.finishedAt;
}

/**
 * Follow a container's output from its log until its current or next run has ended
 * (attach is set up before start). `fromStart`: the whole log first (attach ?logs=1).
 */
export async function streamRun(
  ctx: Context,
  id: string,
  /** `from`: the log's end when the client was attached (what its stdin causes comes after). */
  opts: { fromStart: boolean; from?: number; follow: boolean; write: (e: LogEntry) => void; closed: () => boolean },
): Promise<ExitResult | undefined> {
  const file = ctx.paths.containerLog(id);
  const initial = await readContainer(ctx.paths, id);
  if (!initial) return undefined;
  let end = opts.fromStart ? 0 : (opts.from ?? (await fs.stat(file).then((s) => s.size, () => 0)));
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    // The record first: once it says exited, the log is complete (the supervisor closes it before).
    const live = await readLive(ctx.paths, id);
    const next = await readLog(file, end);
    next.entries.forEach(opts.write);
    end = next.end;
    if (!live || !opts.follow) return live && exitResult(live.state);
    if (live.state.status === 'running') sawRunning = true;
    else if (endedSince(initial, live, sawRunning)) {
      const { error, startedAt } = live.record.state;
      // A command that failed after the container started (boot mode: not found inside) says why;
      // a failed start is the start request's error instead.
      if (error && startedAt) opts.write({ log: `${error}\n`, stream: 'stderr', time: '' });
      return exitResult(live.state);
    }
    if (opts.closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

/**
 * Output of the container's next run through its output channel (byte-exact), until the
 * supervisor closes it and the run has ended. A supervisor that never connected leaves the
 * output in the log only: it is read from there (from `logOffset`) once the run has ended.
 */
async function streamChannel(
  ctx: Context,
  id: string,
  channel: OutputListener,
  opts: { write: (e: LogEntry) => void; logOffset: number; closed: () => boolean },
): Promise<ExitResult | undefined> {
  const initial = await readContainer(ctx.paths, id);
  if (!initial) return undefined;
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    const live = await readLive(ctx.paths, id);
    if (!live) return undefined;
    if (live.state.status === 'running') sawRunning = true;
    else if (endedSince(initial, live, sawRunning)) {
      if (channel.connected) {
        // The supervisor closes the channel before it records the end: this is at most a moment.
        await channel.whenEnded(5000);
      } else {
        const { entries } = await readLog(ctx.paths.containerLog(id), opts.logOffset);
        entries.forEach(opts.write);
      }
      const { error, startedAt } = live.record.state;
      if (error && startedAt) opts.write({ log: `${error}\n`, stream: 'stderr', time: '' });
      return exitResult(live.state);
    }
    if (opts.closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

/** Entries of a log as what a stream carries: frames, or raw bytes for a Tty container. */
function chunkWriter(out: StreamOut, opts: { tty: boolean; stdout: boolean; stderr: boolean }): (stream: 'stdout' | 'stderr', data: Buffer) => void {
  return (stream, data) => {
    if (stream === 'stdout' ? !opts.stdout : !opts.stderr) return;
    out.write(opts.tty ? data : frame(stream === 'stdout' ? 1 : 2, data));
  };
}

function entryWriter(out: StreamOut, opts: { tty: boolean; stdout: boolean; stderr: boolean; timestamps?: boolean }): (e: LogEntry) => void {
  const chunk = chunkWriter(out, opts);
  return (e) => chunk(e.stream, Buffer.from(opts.timestamps && e.time ? `${e.time} ${e.log}` : e.log));
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

async function waitFor(engine: Engine, id: string, condition: WaitCondition, closed: () => boolean): Promise<ExitResult | undefined> {
  const { paths } = engine.ctx;
  const initial = await readContainer(paths, id);
  if (!initial) return engine.endedResult(id) ?? { StatusCode: 0, Error: null };
  let last = exitResult(liveState(initial));
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    const live = await readLive(paths, id);
    if (!live) return engine.endedResult(id) ?? last;
    if (live.state.status === 'running') sawRunning = true;
    else last = exitResult(live.state);
    if (condition === 'not-running' && live.state.status !== 'running') return last;
    if (condition === 'next-exit' && endedSince(initial, live, sawRunning)) return last;
    if (closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

export function containerRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  const find = (id: string) => findContainer(ctx.paths, id);
  return [
    route('GET', /^\/containers\/json$/, async (x) => {
      const { racker, labels } = parseFilters(x.query.get('filters'));
      let records = await listContainers(ctx.paths);
      // Like `racker ps`: containers whose supervisor died get their end recorded first.
      const orphans = records.filter((r) => r.state.status === 'running' && liveState(r).status === 'exited');
      if (orphans.length) {
        await Promise.all(orphans.map((r) => reapOrphan(ctx, r.id)));
        records = await listContainers(ctx.paths);
      }
      const all = flag(x.query, 'all') || racker.some((f) => f[0]?.startsWith('status='));
      const now = ctx.clock().getTime();
      const rows: Record<string, unknown>[] = [];
      for (const r of records.sort((a, b) => b.created.localeCompare(a.created))) {
        if (!all && liveState(r).status !== 'running') continue;
        // Values of one key are alternatives; keys must all match.
        if (!racker.every((alternatives) => alternatives.some((f) => matchesFilter(r, [f])))) continue;
        const meta = await engine.meta(r.id);
        if (!labelMatches(meta.labels ?? {}, labels)) continue;
        rows.push(containerSummary(r, meta, now));
      }
      const limit = Number(x.query.get('limit') ?? -1);
      x.json(200, limit > 0 ? rows.slice(0, limit) : rows);
    }),
    route('GET', /^\/containers\/([^/]+)\/json$/, async (x, [id]) => {
      const r = await find(id!);
      x.json(200, containerInspect(r, await engine.meta(r.id)));
    }),
    route('POST', /^\/containers\/create$/, async (x) => {
      const { options, meta } = createOptionsFrom(((await x.body()) ?? {}) as CreateBody);
      const name = x.query.get('name');
      const platform = x.query.get('platform');
      // dockerd answers the platform warning (and others) in Warnings; the CLI prints them.
      const warnings: string[] = [];
      const record = await createContainer(ctx, {
        warn: (line) => warnings.push(line.replace(/^WARNING: /, '')),
        ...options,
        ...(name ? { name: name.replace(/^\//, '') } : {}),
        ...(platform ? { platform } : {}),
      });
      await engine.setMeta(record.id, meta);
      x.json(201, { Id: record.id, Warnings: warnings });
    }),
    route('POST', /^\/containers\/([^/]+)\/start$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status === 'running') return x.empty(304);
      const meta = await engine.meta(record.id);
      try {
        // docker run -i attached first: that connection is the command's stdin.
        const input = record.config.interactive ? engine.takeStdin(record.id) : undefined;
        await startContainer(ctx, record, engine.bootTimeoutSeconds, input);
      } finally {
        // Ended (or failed to start): the watcher removes it once its result is kept.
        if (meta.autoRemove) engine.watch(record.id);
      }
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/wait$/, async (x, [id]) => {
      let record: ContainerRecord;
      try {
        record = await find(id!);
      } catch (err) {
        // An AutoRemove container already gone: its result is still known (a client may wait after start).
        const gone = engine.endedResult(id!);
        if (err instanceof NotFoundError && gone) return x.json(200, gone);
        throw err;
      }
      const condition = (x.query.get('condition') || 'not-running') as WaitCondition;
      if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new ApiError(400, `invalid condition: "${condition}"`);
      // Headers at once: the docker CLI waits for them before it starts the container.
      const out = x.stream(200, 'application/json');
      const result = await waitFor(engine, record.id, condition, () => out.closed);
      if (result) out.write(`${JSON.stringify(result)}\n`);
      out.end();
    }),
    route('POST', /^\/containers\/([^/]+)\/stop$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') return x.empty(304);
      await stopContainer(ctx, record, stopTimeoutOf(x.query));
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/restart$/, async (x, [id]) => {
      // docker restart: stop (if running), then start again with the files it kept.
      const record = await find(id!);
      await stopContainer(ctx, record, stopTimeoutOf(x.query));
      await startContainer(ctx, await find(record.id), engine.bootTimeoutSeconds);
      if ((await engine.meta(record.id)).autoRemove) engine.watch(record.id);
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/kill$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') throw new ApiError(409, `Cannot kill container: ${id}: Container ${record.id} is not running`);
      await killContainer(ctx, record, normalizeSignal(x.query.get('signal') || 'KILL'));
      x.empty(204);
    }),
    route('GET', /^\/containers\/([^/]+)\/top$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') throw new ApiError(409, `Container ${record.id} is not running`);
      const psArgs = (x.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
      const { topOf } = await import('../container/top.js');
      x.json(200, await topOf(ctx, record, psArgs.length ? psArgs : undefined));
    }),
    route('POST', /^\/containers\/([^/]+)\/rename$/, async (x, [id]) => {
      const name = x.query.get('name');
      if (!name) throw new ApiError(400, 'new name is required (?name=)');
      const { renameContainer } = await import('../container/rename.js');
      try {
        await renameContainer(ctx, await find(id!), name);
      } catch (err) {
        if (err instanceof RackerError && /Conflict\./.test(err.message)) throw new ApiError(409, err.message);
        throw err;
      }
      x.empty(204);
    }),
    ...resourceRoutes(ctx, find),
    route('POST', /^\/containers\/prune$/, async (x) => {
      const { pruneStoppedContainers } = await import('../container/prune.js');
      const { ids, reclaimed } = await pruneStoppedContainers(ctx);
      x.json(200, { ContainersDeleted: ids, SpaceReclaimed: reclaimed });
    }),
    route('DELETE', /^\/containers\/([^/]+)$/, async (x, [id]) => {
      const record = await find(id!);
      const live = liveState(record);
      if (!flag(x.query, 'force') && (live.status === 'running' || isRestarting(live))) {
        throw new ApiError(409, `You cannot remove a ${live.status === 'running' ? 'running' : 'restarting'} container ${record.id}. Stop the container before attempting removal or force remove`);
      }
      await removeContainer(ctx, record, flag(x.query, 'force'));
      x.empty(204);
    }),
    // docker rm --link: DELETE /containers/PARENT/ALIAS?link=1 drops the link, both containers stay.
    route('DELETE', /^\/containers\/([^/]+)\/([^/]+)$/, async (x, [parent, alias]) => {
      if (!flag(x.query, 'link')) throw new NotFoundError(`No such container: ${parent}/${alias}`);
      const { removeLink } = await import('../container/links.js');
      await removeLink(ctx, `${parent}/${alias}`);
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/resize$/, async (x, [id]) => {
      const record = await find(id!);
      const rows = Number(x.query.get('h'));
      const cols = Number(x.query.get('w'));
      if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new ApiError(400, 'resize needs h and w');
      // Answered at once; the terminal may appear a moment later (a booted container's command starts after the boot).
      if (record.config.tty && liveState(record).status === 'running') void resizeWhenThere(ctx, record.id, rows, cols);
      x.empty(200);
    }),
    route('GET', /^\/containers\/([^/]+)\/logs$/, async (x, [id]) => {
      const record = await find(id!);
      const meta = await engine.meta(record.id);
      const stdout = flag(x.query, 'stdout');
      const stderr = flag(x.query, 'stderr');
      if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
      const tailText = x.query.get('tail') || 'all';
      // dockerd reads a negative tail (testcontainers sends -1) as "all".
      const tail = tailText === 'all' || Number(tailText) < 0 ? Infinity : Number(tailText);
      if (!Number.isInteger(tail) && tail !== Infinity) throw new UsageError(`invalid tail value: ${tailText}`);
      const tty = Boolean(meta.tty);
      // since/until: unix seconds (fractions allowed); 0 or absent means no bound.
      const bound = (name: string) => {
        const v = Number(x.query.get(name) || 0);
        if (!Number.isFinite(v)) throw new ApiError(400, `invalid ${name}: ${x.query.get(name)}`);
        return v > 0 ? v * 1000 : undefined;
      };
      const since = bound('since');
      const until = bound('until');
      const out = x.stream(200, streamContentType(tty, x.apiVersion, compareVersions));
      const frames = entryWriter(out, { tty, stdout, stderr, timestamps: flag(x.query, 'timestamps') });
      const write = (e: LogEntry) => {
        const t = Date.parse(e.time);
        if ((since !== undefined && t < since) || (until !== undefined && t > until)) return;
        frames(e);
      };
      const gone = new Error('client gone');
      await followLogs(ctx, record, {
        follow: flag(x.query, 'follow'),
        tail,
        write: (e) => {
          if (out.closed) throw gone;
          write(e);
        },
      }).catch((err: unknown) => {
        if (err !== gone) throw err;
      });
      out.end();
    }),
    route('POST', /^\/containers\/([^/]+)\/attach$/, async (x, [id]) => {
      // Checked first, as dockerd does (a bad spec is a 400 even for an unknown container).
      const detachKeys = detachKeysOf(x.query.get('detachKeys'), 'detach');
      const record = await find(id!);
      const meta = await engine.meta(record.id);
      const tty = Boolean(meta.tty);
      const follow = flag(x.query, 'stream');
      // Attached before the start (docker run): the output comes byte-exact through a channel
      // from the supervisor, set up before the client hears back (and so before it can start).
      const lease = follow && liveState(record).status !== 'running' ? await engine.outputChannel(record.id) : undefined;
      const logFile = ctx.paths.containerLog(record.id);
      const replay = lease && flag(x.query, 'logs') ? (await readLog(logFile)).entries : [];
      const logOffset = await fs.stat(logFile).then((s) => s.size, () => 0);
      // A request body is not stdin: dockerode sends its options as JSON there. Read and dropped
      // (whatever it holds), so that stdin begins after it.
      if (Number(x.headers['content-length'] ?? 0) > 0) await x.body().catch(() => undefined);
      const { out, stdin } = x.hijack(streamContentType(tty, x.apiVersion, compareVersions));
      const { emit } = await import('../events/log.js');
      emit(ctx, { type: 'container', action: 'attach', container: record });
      // stdin=1 on a container created with -i (OpenStdin): before it starts, its command reads
      // this connection; once it runs, what the client sends goes into its open stdin (when it
      // was started with nobody attached). Otherwise what the client sends is dropped.
      // The detach keys in it end the attach and leave the container running: the connection
      // closes; a command reading this connection keeps its stdin open when it has a terminal
      // and reads end of file when not (docker's StdinOnce, which `docker run -i` sets); an
      // open stdin (the FIFO, which the command holds open itself) only loses this writer.
      const wantsStdin = stdin && flag(x.query, 'stdin') && record.config.interactive;
      if (wantsStdin) {
        const beforeStart = liveState(record).status !== 'running';
        // Only a terminal's input is scanned, as dockerd does: any bytes may come through a
        // plain stdin (a binary piped into `docker run -i`), ctrl-p ctrl-q among them.
        const input = record.config.tty
          ? scanForDetach(stdin, detachKeys, {
              closeOnDetach: !beforeStart,
              onDetach: () => {
                emit(ctx, { type: 'container', action: 'detach', container: record });
                hangUp(out, stdin);
              },
            })
          : stdin;
        if (beforeStart) engine.attachStdin(record.id, input);
        // No open stdin (it was started attached to another connection): the keys still detach.
        else if (!pipeToOpenStdin(ctx.paths, record.id, input)) input.resume();
      } else stdin?.resume();
      const streams = { tty, stdout: flag(x.query, 'stdout'), stderr: flag(x.query, 'stderr') };
      const write = entryWriter(out, streams);
      let done: Promise<ExitResult | undefined>;
      if (lease) {
        replay.forEach(write);
        const chunk = chunkWriter(out, streams);
        const unsubscribe = lease.channel.subscribe((stream, payload) => chunk(stream === 1 ? 'stdout' : 'stderr', payload));
        done = streamChannel(ctx, record.id, lease.channel, { write, logOffset, closed: () => out.closed }).finally(() => {
          unsubscribe();
          return lease.release();
        });
      } else {
        done = streamRun(ctx, record.id, { fromStart: flag(x.query, 'logs'), from: logOffset, follow, write, closed: () => out.closed });
      }
      engine.track(record.id, done.then(() => undefined, () => undefined));
      try {
        await done;
      } finally {
        out.end();
      }
    }),
  ];
}

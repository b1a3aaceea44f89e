/** How containers look from outside: `ps` rows and docker-shaped `inspect` JSON. */
import { UsageError } from '../errors.js';
import { humanDuration } from '../format/human.js';
import { shortId } from '../image/store.js';
import { dockerHealthcheck, healthSuffix } from './health.js';
import { isRestarting, liveState, type ContainerRecord } from './record.js';
import { portsColumn } from '../net/ports.js';
import { networkSettingsOf, portBindingsOf } from '../net/inspect.js';
import { hostConfigOf } from './limits.js';
import { forwardedKinds } from '../shell/desktop.js';

/** docker's State.Status: a running container frozen by `pause` is "paused". */
export function shownStatus(record: ContainerRecord): string {
  const s = liveState(record);
  if (isRestarting(s)) return 'restarting';
  return s.status === 'running' && s.paused ? 'paused' : s.status;
}

export function statusText(record: ContainerRecord, now: number): string {
  const s = liveState(record);
  if (s.status === 'running') return `Up ${humanDuration(now - Date.parse(s.startedAt ?? record.created))}${s.paused ? ' (Paused)' : healthSuffix(record.state.health)}`;
  // docker: the code of the end it restarts after, and how long ago that was.
  if (isRestarting(s)) return `Restarting (${s.exitCode ?? 255}) ${humanDuration(now - Date.parse(s.finishedAt ?? s.startedAt ?? record.created))} ago`;
  if (s.status === 'exited') return `Exited (${s.exitCode ?? 255}) ${humanDuration(now - Date.parse(s.finishedAt ?? s.startedAt ?? record.created))} ago`;
  return 'Created';
}

export function commandText(record: ContainerRecord, truncate: boolean): string {
  const text = record.config.command.length ? record.config.command.join(' ') : '/sbin/init';
  const shown = truncate && text.length > 20 ? `${text.slice(0, 19)}…` : text;
  return `"${shown}"`;
}

export interface PsRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Status: string;
  State: string;
  Ports: string;
  Names: string;
}

export function psRow(record: ContainerRecord, now: number, truncate: boolean): PsRow {
  const s = liveState(record);
  return {
    ID: truncate ? record.id.slice(0, 12) : record.id,
    Image: record.image.name,
    Command: commandText(record, truncate),
    CreatedAt: record.created,
    RunningFor: `${humanDuration(now - Date.parse(record.created))} ago`,
    Status: statusText(record, now),
    State: shownStatus(record),
    Ports: s.status === 'running' ? portsColumn(record.state.endpoint?.ports ?? []) : '',
    Names: record.name,
  };
}

/** docker's container states, the values `status=` accepts. */
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

function splitFilter(f: string): [key: string, value: string] {
  const eq = f.indexOf('=');
  return eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
}

/** `ps --filter` values as docker checks them: a known key, a real state, a valid regular expression. */
export function validateFilters(filters: readonly string[]): void {
  for (const f of filters) {
    const [key, value] = splitFilter(f);
    if (!['name', 'status', 'id', 'ancestor'].includes(key) || !f.includes('=')) throw new UsageError(`invalid filter '${f}'`);
    if (key === 'status' && !STATUSES.includes(value)) throw new UsageError(`invalid filter 'status=${value}': one of ${STATUSES.join(', ')}`);
    if (key === 'name') {
      try {
        new RegExp(value);
      } catch {
        throw new UsageError(`invalid filter '${f}': not a regular expression`);
      }
    }
  }
}

function matchesOne(record: ContainerRecord, key: string, value: string): boolean {
  // docker matches a name filter as a regular expression, against the name with its leading "/" too.
  if (key === 'name') return new RegExp(value).test(record.name) || new RegExp(value).test(`/${record.name}`);
  if (key === 'status') return shownStatus(record) === value;
  if (key === 'id') return record.id.startsWith(value);
  if (key === 'ancestor') return record.image.name === value || shortId(record.image.id) === shortId(value);
  return false;
}

/** Filters of one key are alternatives (name=a, name=b: either); different keys must all match, as in docker. */
export function matchesFilter(record: ContainerRecord, filters: readonly string[]): boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const [key, value] = splitFilter(f);
    byKey.set(key, [...(byKey.get(key) ?? []), value]);
  }
  return [...byKey].every(([key, values]) => values.some((v) => matchesOne(record, key, v)));
}

export function inspectContainer(record: ContainerRecord): Record<string, unknown> {
  const s = liveState(record);
  const c = record.config;
  return {
    Id: record.id,
    Created: record.created,
    Path: c.command[0] ?? '/sbin/init',
    Args: c.command.slice(1),
    State: {
      Status: shownStatus(record),
      // docker's restarting container is Running and Restarting at once.
      Running: s.status === 'running' || isRestarting(s),
      Paused: s.status === 'running' && s.paused === true,
      Restarting: isRestarting(s),
      OOMKilled: false,
      Dead: false,
      Pid: s.status === 'running' ? (s.leaderPid ?? s.nspawnPid ?? 0) : 0,
      ExitCode: s.exitCode ?? 0,
      Error: s.error ?? '',
      StartedAt: s.startedAt ?? '0001-01-01T00:00:00Z',
      FinishedAt: s.finishedAt ?? '0001-01-01T00:00:00Z',
      ...(c.healthcheck ? { Health: record.state.health ?? { Status: 'starting', FailingStreak: 0, Log: [] } } : {}),
    },
    Image: record.image.id,
    Name: `/${record.name}`,
    RestartCount: record.state.restartCount ?? 0,
    HostConfig: {
      ...hostConfigOf(c.resources),
      AutoRemove: c.autoRemove,
      NetworkMode: c.network,
      PortBindings: portBindingsOf(c.publish ?? []),
      // As docker lists them: host paths and named volumes (NAME:PATH), not anonymous volumes.
      Binds: c.binds
        .filter((b) => !c.anonymousVolumes?.some((n) => b.host.endsWith(`/volumes/${n}/_data`)))
        .map((b) => `${b.volume ?? b.host}:${b.container}${b.readOnly ? ':ro' : ''}`),
      ...(c.tmpfs?.length ? { Tmpfs: Object.fromEntries(c.tmpfs.map((t) => [t.container, t.options])) } : {}),
      ...(c.init ? { Init: true } : {}),
      DeviceCgroupRules: c.deviceCgroupRules?.length ? c.deviceCgroupRules : null,
      // As docker shows them: "/<linked>:/<this>/<alias>"; null without any.
      Links: c.links?.length ? c.links.map((l) => `/${l.name}:/${record.name}/${l.alias}`) : null,
      RestartPolicy: { Name: c.restartPolicy?.name ?? 'no', MaximumRetryCount: c.restartPolicy?.maximumRetryCount ?? 0 },
    },
    Config: {
      Hostname: c.hostname,
      User: c.user ?? '',
      Tty: c.tty,
      OpenStdin: c.interactive,
      Env: c.env,
      Cmd: c.command,
      Image: c.imageName,
      WorkingDir: c.workingDir ?? '',
      ...(c.macAddress ? { MacAddress: c.macAddress } : {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
      ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
      ...(c.healthcheck ? { Healthcheck: dockerHealthcheck(c.healthcheck) } : {}),
    },
    // racker's own: whose shell it is and what it forwards and exports (racker shell).
    ...(c.shell
      ? {
          Shell: {
            User: c.shell.user.name,
            Desktop: forwardedKinds(c.shell.desktop),
            ...(c.shell.desktop ? { RuntimeDir: c.shell.desktop.runtimeDir } : {}),
            Exports: (c.shell.exports ?? []).map((e) => ({ Kind: e.kind, Name: e.name, Files: e.files })),
          },
        }
      : {}),
    Mounts: c.binds.map((b) => {
      // An anonymous volume's directory is lib/volumes/<name>/_data (volumes.ts).
      const volume = b.volume ?? c.anonymousVolumes?.find((n) => b.host.endsWith(`/volumes/${n}/_data`));
      return volume
        ? { Type: 'volume', Name: volume, Source: b.host, Destination: b.container, Driver: 'local', Mode: b.readOnly ? 'ro' : '', RW: !b.readOnly }
        : { Type: 'bind', Source: b.host, Destination: b.container, Mode: b.readOnly ? 'ro' : '', RW: !b.readOnly };
    }),
    NetworkSettings: networkSettingsOf(record, s.status === 'running'),
    Racker: { Boot: c.boot, NspawnPid: s.nspawnPid ?? 0, LeaderPid: s.leaderPid ?? 0 },
  };
}

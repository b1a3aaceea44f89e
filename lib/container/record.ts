/**
 * A container's persistent record (containers/<id>/container.json), written atomically
 * by whoever changes it. The stored status is what racker last knew; `liveStatus` checks
 * it against the processes, so `ps` tells the truth even after racker was killed -9.
 */
import { randomBytes } from '../startup/builtins.js';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import type { Paths } from '../state/paths.js';
import type { Bind } from '../tools/nspawn.js';
import type { DesktopConfig } from '../shell/desktop.js';
import type { Tmpfs } from './spec.js';
import type { HealthConfig, HealthState } from './health.js';
import type { RestartPolicy } from './restart-policy.js';
import type { PortSpec, PublishedPort } from '../net/ports.js';
import { processAlive } from '../exec/procfs.js';
import type { Resources } from './limits.js';
import type { CgroupPlace } from './cgroup.js';
import { checkOwner } from '../access/policy.js';
import { mayAct, type Caller, type Owner } from '../access/caller.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

export interface ContainerConfig {
  /** The image as the user named it, for `ps`. */
  imageName: string;
  imageId: string;
  /** Entrypoint + Cmd resolved like docker; empty for a system container with no command. */
  command: string[];
  env: string[];
  workingDir?: string;
  user?: string;
  hostname: string;
  tty: boolean;
  interactive: boolean;
  binds: Bind[];
  /** host, none, bridge (the default network) or a user network's name. */
  network: string;
  /** The network's ID, kept with its name (inspect's NetworkID while stopped). */
  networkId?: string;
  /**
   * Disconnected from its first network while stopped (docker-compose does that to connect it
   * again with aliases): it starts with loopback only until a network is connected.
   */
  networkDetached?: boolean;
  /** Networks connected besides the first (`network connect`), joined at every start. */
  extraNetworks?: ExtraNetwork[];
  /** -p and -P, as asked (host ports 0 until bound). */
  publish?: PortSpec[];
  networkAliases?: string[];
  /** --ip: a fixed address on the network. */
  ip?: string;
  /** --link NAME:ALIAS (links.ts). */
  links?: ContainerLink[];
  /** --mac-address: its interface's address on its first network (else docker's 02:42 + the IPv4 address). */
  macAddress?: string;
  dns?: string[];
  /** --add-host NAME:IP entries, checked. */
  addHosts?: string[];
  boot: boolean;
  autoRemove: boolean;
  /** --stop-signal (or the image's STOPSIGNAL): what stop sends instead of SIGTERM. */
  stopSignal?: string;
  /** --stop-timeout: stop's wait before SIGKILL when not given one (default 10 s). */
  stopTimeout?: number;
  /** --tmpfs mounts. */
  tmpfs?: Tmpfs[];
  /** --init: tini as PID 1 in direct mode (in boot mode systemd is init already). */
  init?: boolean;
  /** --restart: who restarts it is its supervisor (restart.ts). */
  restartPolicy?: RestartPolicy;
  /** The health check it runs (the image's HEALTHCHECK, or --health-*). */
  healthcheck?: HealthConfig;
  /** Its anonymous volumes (-v /data): lib/volumes/<name>, removed by rm -v and --rm (volumes.ts). */
  anonymousVolumes?: string[];
  /** --memory, --cpus, … (limits.ts), applied to its cgroup at every start and by `update`. */
  resources?: Resources;
  /** --device-cgroup-rule: written to its v1 devices cgroup at every start (cgroup.ts). */
  deviceCgroupRules?: string[];
  /** A racker shell's: whose it is, what of their desktop it gets, what it exported to the host. */
  shell?: ShellConfig;
}

export interface ShellConfig {
  /** The owner's host account (their account inside). */
  user: { uid: number; gid: number; name: string; home: string };
  /** Absent: --no-desktop. */
  desktop?: DesktopConfig;
  /** Host files `racker shell --export-*` made, removed with the shell (lib/shell/exports.ts). */
  exports?: ShellExport[];
}

export interface ShellExport {
  /** app: a desktop entry (and its icon); bin: a launcher script. */
  kind: 'app' | 'bin';
  /** What was exported, as the user named it (the app's id, the program's path inside). */
  name: string;
  /** The host files made for it, all in the owner's home. */
  files: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  /** The racker process watching the container (foreground run or detached supervisor). */
  supervisorPid?: number;
  nspawnPid?: number;
  /** The container's PID 1 as seen from the host: what exec and kill target. */
  leaderPid?: number;
  /** A booted container's command: the process racker started for it (nsenter, or script(1) with -t). */
  commandPid?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Set by `racker kill`/`stop`, so the exit code can say which signal ended it. */
  killSignal?: string;
  error?: string;
  /** Where a running container is on its bridge network (gone with it). */
  endpoint?: Endpoint;
  /** Its places on the networks of config.extraNetworks, while it runs. */
  extraEndpoints?: Endpoint[];
  /** Restarts by its policy since it was last started by hand (inspect's RestartCount). */
  restartCount?: number;
  /** Stopped or killed by hand: its restart policy no longer applies (until a start by hand). */
  stoppedByHand?: boolean;
  /**
   * Ended, and its supervisor will start it again (restart.ts): written with the end itself, so
   * no moment between the end and the restart reads as a plain exit. See `isRestarting`.
   */
  restarting?: boolean;
  /** Health check results: read from health.json, never stored in the record itself. */
  health?: HealthState;
  /** Its cgroup while it runs (cgroup.ts); `created`: racker made it, and removes it. */
  cgroup?: CgroupPlace & { created: boolean };
  /** Frozen by `pause` (status stays running, as docker's State.Running does). */
  paused?: boolean;
}

/** A legacy link: the linked container (by ID: a rename follows) and the name it has here. */
export interface ContainerLink {
  id: string;
  /** Its name when linked: what inspect shows (the variables use its name at each start). */
  name: string;
  alias: string;
}

export interface ExtraNetwork {
  networkId: string;
  name: string;
  aliases: string[];
  ip?: string;
}

/** A container on a bridge network, as inspect and ps show it. */
export interface Endpoint {
  networkId: string;
  network: string;
  address: string;
  gateway: string;
  prefix: number;
  mac: string;
  aliases: string[];
  ports: PublishedPort[];
  /** eth0, eth1…: the interface inside the container. */
  ifname?: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** The same field name usage.ts reads to keep images in use. */
  image: { id: string; name: string };
  config: ContainerConfig;
  state: ContainerState;
  /**
   * A warm machine of a pool (lib/pool): hidden from `ps` until a run takes it (takenBy: that
   * racker's PID), and again once its run has ended (ended: its supervisor is removing it).
   */
  pool?: { id: string; takenBy?: number; ended?: boolean };
  /** Made for a member of the service's group (lib/access): only they (and root) see and act on it. */
  owner?: Owner;
}

/** The nspawn machine name: unique per container, valid for machined. */
export function machineName(id: string): string {
  return `racker-${id.slice(0, 12)}`;
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/** docker's rule for the names of containers and networks. */
export function isValidName(name: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) && name.length <= 128;
}

/** docker's rule for --name. */
export function validateName(name: string): void {
  if (!isValidName(name)) {
    throw new UsageError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at most 128 characters)`);
  }
}

/** A hostname nspawn and DNS accept: letters, digits and dashes, at most 63 characters. */
export function hostnameFor(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return h || 'racker';
}

export async function readContainer(paths: Paths, id: string): Promise<ContainerRecord | undefined> {
  let record: ContainerRecord | undefined;
  try {
    record = await readJson<ContainerRecord | undefined>(paths.containerMeta(id), undefined);
  } catch {
    return undefined; // being written for the first time, or being removed
  }
  // Health results live in their own file, written only by the supervisor: its writes every
  // interval must never race a stop's or the supervisor's own updates of the record.
  if (record?.config.healthcheck) {
    const health = await readJson<HealthState | undefined>(healthFile(paths, id), undefined).catch(() => undefined);
    if (health) record.state.health = health;
  }
  return record;
}

/** Where a container's health check results are kept (health-watch.ts writes it). */
export function healthFile(paths: Paths, id: string): string {
  return path.join(paths.container(id), 'health.json');
}

/**
 * A record and its live state, decided once. A record that says running while its processes
 * are gone is read again: a supervisor writes the end and then exits, so a record read just
 * before that write and checked just after looks like a crash (liveState's 255). Callers use
 * `state`, not a second liveState() that may see a later moment. Undefined once removed.
 */
export async function readLive(paths: Paths, id: string): Promise<{ record: ContainerRecord; state: ContainerState } | undefined> {
  const record = await readContainer(paths, id);
  if (!record) return undefined;
  const state = liveState(record);
  if (state.status === 'running' || record.state.status !== 'running') return { record, state };
  const again = await readContainer(paths, id);
  return again && { record: again, state: liveState(again) };
}

/**
 * Durable, except an --rm container's record: nothing of that container outlives a reboot
 * (its upper layer is volatile), so the two fsyncs of each of its writes would only slow
 * its start. Still atomic for readers; a record a power loss left empty reads as absent.
 */
export async function writeContainer(paths: Paths, record: ContainerRecord): Promise<void> {
  const { health: _kept, ...state } = record.state;
  await writeJsonAtomic(paths.containerMeta(record.id), { ...record, state }, { durable: !record.config.autoRemove });
}

/** Apply a change to the stored state (re-reading first: another process may have updated it). */
export async function updateState(paths: Paths, id: string, change: Partial<ContainerState>): Promise<ContainerRecord | undefined> {
  const record = await readContainer(paths, id);
  if (!record) return undefined;
  record.state = { ...record.state, ...change };
  await writeContainer(paths, record);
  return record;
}

export async function listContainers(paths: Paths): Promise<ContainerRecord[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.containers);
  } catch {
    return [];
  }
  const records = await Promise.all(names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => readContainer(paths, n)));
  return records.filter((r): r is ContainerRecord => r !== undefined);
}

/** The containers ctx's caller may see: all for root, their own for a member (lib/access). */
export async function visibleContainers(ctx: { paths: Paths; caller?: Caller }): Promise<ContainerRecord[]> {
  return (await listContainers(ctx.paths)).filter((c) => mayAct(ctx.caller, c.owner));
}

/** By name, full ID or unique ID prefix, like docker; refused when it is another user's (ctx.caller). */
export async function findContainer(ctx: { paths: Paths; caller?: Caller }, idOrName: string): Promise<ContainerRecord> {
  const all = await listContainers(ctx.paths);
  const byName = all.find((c) => c.name === idOrName.replace(/^\//, ''));
  // A member (lib/access) acts on their own containers only.
  const own = (c: ContainerRecord) => (checkOwner(ctx.caller, c.owner, `container ${c.name}`), c);
  if (byName) return own(byName);
  if (/^[a-f0-9]{1,64}$/.test(idOrName)) {
    const matches = all.filter((c) => c.id.startsWith(idOrName));
    if (matches.length === 1) return own(matches[0]!);
    if (matches.length > 1) throw new UsageError(`multiple containers found with provided prefix: ${idOrName}`);
  }
  throw new NotFoundError(`No such container: ${idOrName}`);
}

/**
 * The truth about a container: a record saying "running" whose nspawn process is gone
 * has exited, whatever happened to the racker process that should have noted it.
 */
export function liveState(record: ContainerRecord): ContainerState {
  const s = record.state;
  if (s.status !== 'running') return s;
  // Started before this host booted: its PIDs now belong to other processes.
  const started = s.startedAt ? Date.parse(s.startedAt) : NaN;
  if (started < hostBootTime()) return { ...s, status: 'exited', exitCode: s.exitCode ?? 255 };
  if (processAlive(s.nspawnPid) || processAlive(s.supervisorPid)) return s;
  return { ...s, status: 'exited', exitCode: s.exitCode ?? 255 };
}

/**
 * docker's "restarting": ended, and its supervisor (still alive, the one that wrote the end)
 * waits its delay to run it again. A stop or kill by hand meanwhile cancels that.
 */
export function isRestarting(state: ContainerState): boolean {
  return state.status === 'exited' && state.restarting === true && !state.stoppedByHand && processAlive(state.supervisorPid);
}

let bootTime: number | undefined;

/** When this host booted, in ms since the epoch (/proc/stat btime, whole seconds: one second of slack). */
export function hostBootTime(): number {
  if (bootTime === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootTime = m ? Number(m[1]) * 1000 - 1000 : 0;
  }
  return bootTime;
}

/**
 * A container's own cgroup (doc/resources.md): where it is, creating it before nspawn starts,
 * writing limits and the freezer, removing it after. The decisions (layout from mountinfo,
 * directories for an ID) are pure functions; the writes are the small functions at the end.
 */
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RackerError, UsageError } from '../errors.js';
import { limitWrites, type Resources } from './limits.js';

/** The v1 hierarchies racker uses (name=systemd and the unified one only for placement). */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'freezer', 'blkio', 'devices'] as const;

export type CgroupLayout =
  | { version: 1; /** hierarchy (controller, "name=systemd", "unified") → its mount point */ mounts: Record<string, string> }
  | { version: 2; root: string };

/** Where a container's cgroup is: its directory in each hierarchy (v2: the key "unified" only). */
export interface CgroupPlace {
  version: 1 | 2;
  dirs: Record<string, string>;
}

/**
 * The layout from /proc/self/mountinfo's cgroup and cgroup2 lines. v2-only: cgroup2 on
 * /sys/fs/cgroup with no v1 hierarchy. Undefined: no cgroups mounted.
 */
export function layoutFromMountinfo(text: string): CgroupLayout | undefined {
  const mounts: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOpts] = right.split(' ');
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') unified ??= mountPoint;
    if (fstype !== 'cgroup') continue;
    for (const opt of (superOpts ?? '').split(',')) {
      if ((V1_CONTROLLERS as readonly string[]).includes(opt) || opt === 'name=systemd') mounts[opt] ??= mountPoint;
    }
  }
  if (Object.keys(mounts).length) return { version: 1, mounts: unified ? { ...mounts, unified } : mounts };
  return unified ? { version: 2, root: unified } : undefined;
}

export function hostCgroupLayout(): CgroupLayout | undefined {
  try {
    return layoutFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/** `RACKER_CGROUP_PARENT` (a path inside every hierarchy), or /racker like docker's /docker. */
export function cgroupParent(env: NodeJS.ProcessEnv): string {
  const p = env.RACKER_CGROUP_PARENT;
  if (!p) return '/racker';
  const norm = path.posix.normalize(`/${p}`).replace(/\/+$/, '');
  if (norm === '' || norm.split('/').includes('..')) throw new RackerError(`RACKER_CGROUP_PARENT=${p}: not a cgroup path`);
  return norm;
}

export function placeFor(layout: CgroupLayout, parent: string, id: string): CgroupPlace {
  if (layout.version === 2) return { version: 2, dirs: { unified: path.join(layout.root, parent, id) } };
  return { version: 1, dirs: Object.fromEntries(Object.entries(layout.mounts).map(([h, m]) => [h, path.join(m, parent, id)])) };
}

/**
 * A running process's place (a registered machine: systemd chose its scope), from
 * /proc/PID/cgroup's lines "N:controllers:/path" and the layout.
 */
export function placeFromProcCgroup(layout: CgroupLayout, text: string): CgroupPlace {
  const dirs: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    const [, names, rel] = m as unknown as [string, string, string];
    if (layout.version === 2) {
      if (names === '') dirs.unified = path.join(layout.root, rel);
      continue;
    }
    for (const name of names === '' ? ['unified'] : names.split(',')) {
      const mount = layout.mounts[name];
      if (mount) dirs[name] = path.join(mount, rel);
    }
  }
  return { version: layout.version, dirs };
}

/** The directory holding `controller`'s files (v2: the one directory). */
export function dirOf(place: CgroupPlace, controller: string): string | undefined {
  return place.version === 2 ? place.dirs.unified : place.dirs[controller];
}

/** The cgroup.procs files a process writes itself into to enter the place. */
export function procsFiles(place: CgroupPlace): string[] {
  return [...new Set(Object.values(place.dirs))].map((d) => path.join(d, 'cgroup.procs'));
}

/** The freezer's file and value: v1 freezer.state, v2 cgroup.freeze. */
export function freezeWrite(place: CgroupPlace, frozen: boolean): { file: string; value: string } | undefined {
  if (place.version === 2) return place.dirs.unified ? { file: path.join(place.dirs.unified, 'cgroup.freeze'), value: frozen ? '1' : '0' } : undefined;
  const dir = place.dirs.freezer;
  return dir ? { file: path.join(dir, 'freezer.state'), value: frozen ? 'FROZEN' : 'THAWED' } : undefined;
}

/** Only directories under a cgroup mount are ever made or removed (the record could be edited). */
function isCgroupDir(dir: string): boolean {
  return path.isAbsolute(dir) && !dir.split('/').includes('..') && dir.startsWith('/sys/fs/cgroup/');
}

// ---- the writes ----

function write(file: string, value: string): void {
  writeFileSync(file, value);
}

/** A v1 cpuset child starts with no CPUs and no memory nodes: copy them down from the parent, level by level. */
async function fillCpuset(mount: string, dir: string): Promise<void> {
  const levels: string[] = [];
  for (let d = dir; d !== mount && d.startsWith(mount); d = path.dirname(d)) levels.unshift(d);
  for (const d of levels) {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const mine = (await fs.readFile(path.join(d, f), 'utf8')).trim();
      if (!mine) write(path.join(d, f), (await fs.readFile(path.join(path.dirname(d), f), 'utf8')).trim());
    }
  }
}

/** v2: the controllers must be enabled in every parent's subtree_control, from the root down. */
async function enableControllers(root: string, dir: string): Promise<void> {
  const parents: string[] = [];
  for (let d = path.dirname(dir); d.startsWith(root); d = path.dirname(d)) {
    parents.unshift(d);
    if (d === root) break;
  }
  for (const d of parents) {
    const available = (await fs.readFile(path.join(d, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    for (const c of ['cpu', 'cpuset', 'memory', 'pids']) {
      if (!available.includes(c)) continue;
      try {
        write(path.join(d, 'cgroup.subtree_control'), `+${c}`);
      } catch {
        // A parent with processes of its own can't delegate (no internal processes): its limits stay off.
      }
    }
  }
}

export async function createCgroup(layout: CgroupLayout, place: CgroupPlace): Promise<void> {
  for (const [h, dir] of Object.entries(place.dirs)) {
    if (!isCgroupDir(dir)) throw new RackerError(`not a cgroup directory: ${dir}`);
    await fs.mkdir(dir, { recursive: true });
    if (layout.version === 1 && h === 'cpuset') await fillCpuset(layout.mounts.cpuset!, dir);
    if (layout.version === 2) await enableControllers(layout.root, dir);
  }
}

/** Write a complete set of limits; a file the host lacks (no swap accounting) is skipped unless its limit was asked for. */
export function applyLimits(place: CgroupPlace, r: Resources): void {
  for (const w of limitWrites(place.version, r)) {
    const dir = dirOf(place, w.controller);
    const file = dir && path.join(dir, w.file);
    if (!file || !existsSync(file)) {
      if (w.value === '-1' || w.value === 'max' || w.file === 'cpu.shares' || w.file === 'cpu.weight' || w.file === 'cpu.cfs_period_us') continue;
      throw new RackerError(`this host can't limit ${w.file.split('.')[0]}: ${file ?? w.controller} is missing`);
    }
    try {
      write(file, w.value);
    } catch (err) {
      throw new RackerError(`writing ${w.value} to ${file}: ${(err as Error).message}`);
    }
  }
}

/**
 * --device-cgroup-rule: "TYPE MAJOR:MINOR ACCESS" as docker checks it (a, b or c; numbers or *;
 * some of r, w, m).
 */
export function checkDeviceRule(rule: string): string {
  if (!/^[abc] (\d+|\*):(\d+|\*) [rwm]{1,3}$/.test(rule)) throw new UsageError(`invalid device cgroup rule: '${rule}' (TYPE MAJOR:MINOR ACCESS, e.g. 'c 7:128 rwm')`);
  return rule;
}

/**
 * The devices every container keeps, as docker's runtime allows them: mknod of any node, and
 * null, zero, full, random, urandom, tty, console, the pty master and slaves, tun.
 */
const DEFAULT_DEVICES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm'];

/**
 * v1 devices cgroup writes for rules: deny everything, then allow docker's defaults and the
 * rules (so devices.list reads as it does under docker). v2 has no such files: a BPF program
 * decides there, which racker does not load (create refuses rules on such a host).
 */
export function deviceRuleWrites(dir: string, rules: readonly string[]): { file: string; value: string }[] {
  return [{ file: path.join(dir, 'devices.deny'), value: 'a' }, ...[...DEFAULT_DEVICES, ...rules].map((r) => ({ file: path.join(dir, 'devices.allow'), value: r }))];
}

/** Whether this host can apply device rules: a v1 devices hierarchy. */
export function hostHasDevicesCgroup(layout = hostCgroupLayout()): boolean {
  return layout?.version === 1 && layout.mounts.devices !== undefined;
}

export function applyDeviceRules(place: CgroupPlace, rules: readonly string[]): void {
  const dir = place.version === 1 ? place.dirs.devices : undefined;
  if (!dir) throw new RackerError("this host can't apply device cgroup rules: no cgroup v1 devices hierarchy (cgroup v2 needs a BPF program)");
  for (const w of deviceRuleWrites(dir, rules)) {
    try {
      write(w.file, w.value);
    } catch (err) {
      throw new RackerError(`writing ${w.value} to ${w.file}: ${(err as Error).message}`);
    }
  }
}

export function setFrozen(place: CgroupPlace, frozen: boolean): void {
  const w = freezeWrite(place, frozen);
  if (!w || !existsSync(w.file)) throw new RackerError('this host has no cgroup freezer for the container');
  write(w.file, w.value);
}

/** FROZEN/THAWED (v1, FREEZING while under way) or cgroup.events' frozen (v2). */
export function isFrozen(place: CgroupPlace): boolean {
  try {
    if (place.version === 1) return readFileSync(path.join(place.dirs.freezer!, 'freezer.state'), 'utf8').trim() !== 'THAWED';
    return /^frozen 1$/m.test(readFileSync(path.join(place.dirs.unified!, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/** The processes still in a cgroup directory and its children. */
export async function processesIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const text = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  pids.push(...text.split('\n').filter(Boolean).map(Number));
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) pids.push(...(await processesIn(path.join(dir, e.name))));
  return pids;
}

/** rmdir children first (nspawn's payload and supervisor, a booted systemd's units), then the directory. */
async function removeTree(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return true; // gone
  let ok = true;
  for (const e of entries) if (e.isDirectory()) ok = (await removeTree(path.join(dir, e.name))) && ok;
  try {
    await fs.rmdir(dir);
    return ok;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Remove the place once its processes are gone (a frozen cgroup is thawed first: its dying
 * processes could not exit). Bounded: a process that lingers leaves the directory, and the
 * next cleanup (rm, prune) tries again.
 */
export async function removeCgroup(place: CgroupPlace | undefined, timeoutMs = 2000): Promise<boolean> {
  if (!place) return true;
  const dirs = Object.values(place.dirs).filter(isCgroupDir);
  if (isFrozen(place)) {
    try {
      setFrozen(place, false);
    } catch {
      // no freezer: nothing was frozen
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = true;
    for (const d of dirs) ok = (await removeTree(d)) && ok;
    if (ok || Date.now() > deadline) return ok;
    await sleep(20);
  }
}

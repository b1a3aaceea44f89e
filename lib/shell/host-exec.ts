/**
 * racker-host-exec: a program on the host, run from inside a racker shell container as the
 * shell's owner (doc/host-exec.md), as toolbox's `flatpak-spawn --host` does.
 *
 * Each shell container gets a directory of its own, `lib/host-exec/<random>/`, root's (0755:
 * nothing in it is anyone else's to plant or replace, so root creates and removes there without
 * following anything; the parent is 0711, so nobody else can list the random names), bound
 * read-only twice:
 *
 * - at /run/racker-host: the socket its server listens on, `socket` (the owner's, 0700);
 * - its copy of the client, `racker-host-exec`, at /usr/local/bin/racker-host-exec: on PATH in
 *   every image, and a copy so the container starts whatever becomes of racker's dist/ (a bind
 *   whose source went would stop it from starting).
 *
 * The directory is in lib/, not run/: the binds are nspawn's, made at every start, also after
 * a reboot, so it has to exist then; its name is random because it is made before the container
 * has an ID. A member's binds are opened as the member (access/member-binds.ts): every
 * directory above it must be one they may pass through, or the shell goes without.
 *
 * The server (native/host-execd.c) runs as the owner, one per running container, and ends
 * with the container's leader: `ensureHostExec` starts it at each `racker shell` entry when
 * the one recorded in `server` does not serve the current leader.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from '../startup/builtins.js';
import { closeSync, existsSync, openSync, promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import type { Paths } from '../state/paths.js';
import { asCallerArgv } from '../access/as-caller.js';
import { isMember } from '../access/caller.js';
import { nativeFile } from '../access/native.js';
import { withLock } from '../state/lock.js';
import { liveState, listContainers, type ContainerConfig, type ContainerRecord } from '../container/record.js';

/** Where the socket's directory is inside the container (native/host-exec.h: HX_SOCKET). */
export const HOST_EXEC_MOUNT = '/run/racker-host';
/** Where the client is inside the container. */
export const HOST_EXEC_CLIENT = '/usr/local/bin/racker-host-exec';
const CLIENT = 'racker-host-exec';
const SERVER = 'racker-host-execd';
/** The files racker puts in a shell's directory: all of them, so it is removed without a recursive walk. */
const FILES = ['socket', 'server', 'server.log', CLIENT] as const;
/** An unreferenced directory younger than this may be a create still on its way to its record. */
const ORPHAN_AGE_MS = 10 * 60_000;

export interface Owner {
  uid: number;
  gid: number;
}

/** The parent of every shell's directory. Pure. */
export function hostExecRoot(paths: Paths): string {
  return path.join(paths.lib, 'host-exec');
}

/** createContainer's volume specs for a shell's directory `dir`. Pure. */
export function hostExecVolumeSpecs(dir: string): string[] {
  return [`${dir}:${HOST_EXEC_MOUNT}:ro`, `${path.join(dir, CLIENT)}:${HOST_EXEC_CLIENT}:ro`];
}

/** The container's host-exec directory, from its binds (undefined: made without host-exec). Pure. */
export function hostExecDirOf(paths: Paths, record: { config: Pick<ContainerConfig, 'binds'> }): string | undefined {
  const b = record.config.binds.find((x) => x.container === HOST_EXEC_MOUNT);
  // Only a directory racker made: a bind elsewhere at that path (`-v /x:/run/racker-host`) is the user's.
  return b && path.dirname(b.host) === hostExecRoot(paths) ? b.host : undefined;
}

/**
 * The server's argv: the listening socket made by root (`listen`), then `serve` as the owner
 * through setpriv. Pure.
 */
export function hostExecServerArgv(server: string, dir: string, owner: Owner, leader: { pid: number; start: string }): string[] {
  return [server, 'listen', path.join(dir, 'socket'), String(owner.uid), String(owner.gid), '--', ...asCallerArgv(owner, [server, 'serve', String(leader.pid), leader.start])];
}

/** The `server` file: the server's pid and start time, the leader's pid and start time. Pure. */
export function serverRecord(server: { pid: number; start: string }, leader: { pid: number; start: string }): string {
  return `${server.pid} ${server.start} ${leader.pid} ${leader.start}\n`;
}

/** Whether the server the `server` file names still runs and serves this leader. Pure but for `startOf`. */
export function serverServes(text: string, leader: { pid: number; start: string }, startOf: (pid: number) => string | undefined): boolean {
  const [pid, start, leaderPid, leaderStart] = text.trim().split(' ');
  if (!pid || !/^\d+$/.test(pid) || start === undefined) return false;
  return leaderPid === String(leader.pid) && leaderStart === leader.start && startOf(Number(pid)) === start;
}

/** Field 22 of /proc/PID/stat (after the command, which may hold spaces). Pure. */
export function statStartTime(stat: string): string | undefined {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function startTimeOf(pid: number): string | undefined {
  try {
    return statStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether every directory from / down to `dir` lets anyone pass (o+x): a member's bind is
 * opened by a process of theirs. `modeOf` stats a path. Pure but for `modeOf`.
 */
export function everyoneMayReach(dir: string, modeOf: (p: string) => number | undefined): boolean {
  const parts = path.resolve(dir).split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const mode = modeOf(`/${parts.slice(0, i).join('/')}`);
    if (mode === undefined || (mode & 0o001) === 0) return false;
  }
  return true;
}


/** Copy the client into `dir` (a temporary, then renamed: a running container keeps the one it bound). */
async function placeClient(client: string, dir: string): Promise<void> {
  const dest = path.join(dir, CLIENT);
  const [src, have] = [statSync(client), await fs.stat(dest).catch(() => undefined)];
  if (have && have.size === src.size && have.mtimeMs >= src.mtimeMs) return;
  const tmp = path.join(dir, `.${CLIENT}.tmp`);
  await fs.copyFile(client, tmp);
  await fs.chmod(tmp, 0o755);
  await fs.rename(tmp, dest);
}

/**
 * The volumes a new shell container gets for racker-host-exec: a fresh directory with the
 * client in it. Empty (and a debug line) when this build has no host-exec, or a member could
 * not open the directory.
 */
export async function hostExecVolumes(ctx: Context): Promise<string[]> {
  const client = nativeFile(CLIENT);
  if (!client || !nativeFile(SERVER)) {
    ctx.log.debug('racker-host-exec: not built (native/host-exec.c, host-execd.c): this shell goes without it');
    return [];
  }
  const top = hostExecRoot(ctx.paths);
  // 0711: anyone may pass (a member's binds are opened as them), nobody but root may list. A
  // directory's random name is known only to whoever may inspect its container: a member cannot
  // name another shell's directory in a `-v` of theirs, whose `rm` would remove its files.
  await fs.mkdir(top, { recursive: true, mode: 0o711 });
  await fs.chmod(top, 0o711);
  await removeOrphans(ctx).catch((err: unknown) => ctx.log.debug(`racker-host-exec: orphans: ${String(err)}`));
  if (isMember(ctx.caller) && !everyoneMayReach(top, (p) => statSync(p, { throwIfNoEntry: false })?.mode)) {
    ctx.log.debug(`racker-host-exec: ${top} is not reachable by every user: a member's shell goes without it`);
    return [];
  }
  const dir = path.join(top, randomBytes(8).toString('hex'));
  await fs.mkdir(dir, { mode: 0o755 });
  await fs.chmod(dir, 0o755);
  await placeClient(client, dir);
  return hostExecVolumeSpecs(dir);
}

/**
 * Start the shell's server unless one serves its current leader. Never fails the shell: what
 * goes wrong is a debug line (the user then sees racker-host-exec's own message inside).
 */
export async function ensureHostExec(ctx: Context, pet: ContainerRecord, owner: Owner): Promise<void> {
  const dir = hostExecDirOf(ctx.paths, pet);
  const server = nativeFile(SERVER);
  const leaderPid = liveState(pet).leaderPid;
  if (!dir || !server || !leaderPid) {
    ctx.log.debug(`racker-host-exec: ${!dir ? `${pet.name} was made without it (racker shell --reset makes it afresh)` : !server ? 'not built' : 'no leader'}`);
    return;
  }
  try {
    const leader = { pid: leaderPid, start: startTimeOf(leaderPid) ?? '' };
    await withLock(ctx.paths.lock(`host-exec-${pet.id}`), async () => {
      const recorded = await fs.readFile(path.join(dir, 'server'), 'utf8').catch(() => '');
      if (serverServes(recorded, leader, startTimeOf)) return;
      const client = nativeFile(CLIENT);
      if (client) await placeClient(client, dir);
      await startServer(ctx, server, dir, owner, leader);
    });
  } catch (err) {
    ctx.log.debug(`racker-host-exec: the server did not start: ${(err as Error).message}`);
  }
}

async function startServer(ctx: Context, server: string, dir: string, owner: Owner, leader: { pid: number; start: string }): Promise<void> {
  const argv = hostExecServerArgv(server, dir, owner, leader);
  const log = openSync(path.join(dir, 'server.log'), 'w', 0o644);
  const began = Date.now();
  let child;
  try {
    // Its own session: a Ctrl-C on the shell's terminal is not the server's. Root's environment stays here.
    child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  } finally {
    closeSync(log);
  }
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', () => (exited = -1));
  child.unref();
  const pid = child.pid;
  // Listening once `listen` has exec'd setpriv (it listens first): only then may a client connect.
  for (;;) {
    if (exited !== undefined || !pid) throw new Error(`${readFileSync(path.join(dir, 'server.log'), 'utf8').trim() || `exit ${exited}`}`);
    const arg1 = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1];
      } catch {
        return undefined;
      }
    })();
    if (arg1 !== undefined && arg1 !== 'listen') break;
    if (Date.now() - began > 5000) throw new Error('the socket was not made in 5 s');
    await sleep(2);
  }
  const start = startTimeOf(pid);
  if (start === undefined) throw new Error(readFileSync(path.join(dir, 'server.log'), 'utf8').trim() || 'it ended at once');
  await fs.writeFile(path.join(dir, '.server.tmp'), serverRecord({ pid, start }, leader), { mode: 0o644 });
  await fs.rename(path.join(dir, '.server.tmp'), path.join(dir, 'server'));
  ctx.log.debug(`racker-host-exec: server ${pid} for leader ${leader.pid} as ${owner.uid}:${owner.gid} (${Date.now() - began} ms)`);
}

/**
 * Remove a shell's directory: the files racker put there by name, then the directory (never a
 * recursive walk: only root writes there, and whatever else it held would stay). Its server
 * ends by itself with the container's leader.
 */
export async function removeHostExecDir(dir: string): Promise<void> {
  for (const f of [...FILES, '.server.tmp', `.${CLIENT}.tmp`]) await fs.unlink(path.join(dir, f)).catch(() => undefined);
  await fs.rmdir(dir).catch(() => undefined);
}

/** At container removal (container/remove.ts): its host-exec directory, if it has one. */
export async function removeHostExecOf(paths: Paths, record: { config: Pick<ContainerConfig, 'binds'> }): Promise<void> {
  const dir = hostExecDirOf(paths, record);
  if (dir) await removeHostExecDir(dir);
}

/** Directories no container binds (a create that failed after making one), once old enough. */
async function removeOrphans(ctx: Context): Promise<void> {
  const top = hostExecRoot(ctx.paths);
  const names = (await fs.readdir(top)).filter((n) => /^[0-9a-f]{16}$/.test(n));
  if (!names.length) return;
  const used = new Set((await listContainers(ctx.paths)).map((r) => hostExecDirOf(ctx.paths, r)).filter(Boolean));
  for (const n of names) {
    const dir = path.join(top, n);
    const st = await fs.stat(dir).catch(() => undefined);
    if (st && !used.has(dir) && Date.now() - st.mtimeMs > ORPHAN_AGE_MS) await removeHostExecDir(dir);
  }
}

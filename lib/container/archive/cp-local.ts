/**
 * The host's half of `racker cp` for a member of the racker group. The service runs cp as
 * root, but a member's paths must be read and written with the member's rights, links and
 * permissions included: that half runs in a process of theirs, `racker __cp-local`, started
 * with setpriv (access/as-caller.ts), and speaks tar on its stdin or stdout. The container's
 * half stays cp.ts's, as root. What a member cannot read or write, their copy cannot either.
 *
 *   __cp-local stat PATH [--follow]   {"exists":…,"isDir":…} (lstat unless --follow)
 *   __cp-local pack SRC NAME [--follow]   SRC as a tar whose top entry is NAME, on stdout
 *   __cp-local unpack DIR           the tar on stdin extracted into DIR, owned by the caller
 */
import { closeSync, lstatSync, promises as fs, statSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asCallerArgv, spawnAsCaller } from '../../access/as-caller.js';
import type { Caller } from '../../access/caller.js';
import { RackerError } from '../../errors.js';
import { drained, writeTo } from '../../fs/drained.js';
import { rackerBin } from '../detached.js';
import { openHostDir, packHostPath } from './host-path.js';
import { unpackArchive } from './unpack.js';

export interface LocalStat {
  exists: boolean;
  isDir: boolean;
}

// ---- the member's process (racker __cp-local) ----

export function localStat(p: string, follow: boolean): LocalStat {
  try {
    const st = follow ? statSync(p) : lstatSync(p);
    return { exists: true, isDir: st.isDirectory() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { exists: false, isDir: false };
    // The docker CLI's words for the same failure.
    throw new RackerError(`${follow ? 'stat' : 'lstat'} ${p}: ${code === 'EACCES' ? 'permission denied' : (err as Error).message}`, { exitCode: 1 });
  }
}

/** SRC as a tar named NAME, written to `out`: its parent followed as the host does, SRC itself only with `follow`. */
export async function packLocal(src: string, name: string, follow: boolean, out: Writable): Promise<void> {
  try {
    await packHostPath(src, name, follow, writeTo(out), { failUnreadable: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Below SRC the names are /proc/self/fd/N/…: say which copy failed, and why, as the docker CLI does.
    if (e.code === 'EACCES' || e.code === 'ENOENT' || e.code === 'ELOOP') throw new RackerError(`cannot copy ${src}: ${e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'no such file or directory' : 'too many levels of symbolic links'}`, { exitCode: 1 });
    throw err;
  }
}

/** The tar on `input` extracted into DIR, every file the caller's own (they could not give one away). */
export async function unpackLocal(dir: string, input: Readable): Promise<void> {
  const dirFd = openHostDir(dir);
  const spool = await fs.mkdtemp(path.join(os.tmpdir(), 'racker-cp-'));
  try {
    const file = path.join(spool, 'body.tar');
    await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    await unpackArchive(file, dirFd, { owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } });
  } finally {
    closeSync(dirFd);
    await fs.rm(spool, { recursive: true, force: true });
  }
}

// ---- the service's side: starting that process as the member ----

interface Run {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when it ended well; a failure is its own one line, exit 1 (docker cp's). */
  done: Promise<void>;
}

function start(caller: Pick<Caller, 'uid' | 'gid'>, args: string[]): Run {
  const p = spawnAsCaller(asCallerArgv(caller, [process.execPath, rackerBin(), '__cp-local', ...args]));
  const done = p.exited.then(({ code, error }) => {
    if (error) throw new RackerError(`cp as ${caller.uid}: ${error.message}`, { exitCode: 1 });
    // Its message is racker's own line ("racker: …"): passed on without the prefix.
    if (code !== 0) throw new RackerError(p.stderr.trim().split('\n')[0]?.replace(/^racker: /, '') || `cp as ${caller.uid} failed (${code})`, { exitCode: 1 });
  });
  // Each caller awaits it, memberUnpack only once its producer is done: an end that comes
  // meanwhile (DIR missing) is no unhandled rejection, which would end the process.
  done.catch(() => undefined);
  return { stdin: p.child.stdin!, stdout: p.child.stdout!, done };
}

export async function memberStat(caller: Pick<Caller, 'uid' | 'gid'>, p: string, follow: boolean): Promise<LocalStat> {
  const run = start(caller, ['stat', p, ...(follow ? ['--follow'] : [])]);
  run.stdin.end();
  let text = '';
  run.stdout.on('data', (d: Buffer) => (text += d.toString()));
  await run.done;
  return JSON.parse(text) as LocalStat;
}

/** The member's SRC packed by them; `use` reads the tar as it comes. */
export async function memberPack(caller: Pick<Caller, 'uid' | 'gid'>, src: string, name: string, follow: boolean, use: (tar: Readable) => Promise<void>): Promise<void> {
  const run = start(caller, ['pack', src, name, ...(follow ? ['--follow'] : [])]);
  run.stdin.end();
  // Both must end well: a tar cut short by the packer's failure is no copy, and the packer's
  // reason (a file they may not read) says more than the short tar's.
  const [used, packed] = await Promise.all([settled(use(run.stdout)), settled(run.done)]);
  if (packed) throw packed;
  if (used) throw used;
}

/** The error a promise ended with, or undefined. */
function settled(p: Promise<void>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** `produce` writes a tar that the member extracts into DIR. */
export async function memberUnpack(caller: Pick<Caller, 'uid' | 'gid'>, dir: string, produce: (write: (chunk: Buffer) => Promise<boolean>) => Promise<void>): Promise<void> {
  const run = start(caller, ['unpack', dir]);
  // An extractor that ended early (DIR missing, not theirs) drains nothing more: drained() fails,
  // and its end settles the wait (its reason, rather than the pipe's EPIPE).
  const write = async (chunk: Buffer) => {
    if (!run.stdin.write(chunk)) await drained(run.stdin).catch(() => run.done);
    return true;
  };
  await produce(write).finally(() => run.stdin.end());
  await run.done;
}

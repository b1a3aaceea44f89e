/**
 * Host files a member names (an --env-file) are read by a process running as that member
 * (util-linux setpriv with their uid, gid and groups), never by the service's root: what
 * they get is what they could read themselves, whatever links or races the path holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import type { Caller } from './caller.js';

/** setpriv argv running `command` as the caller, with the supplementary groups of their account. */
export function asCallerArgv(caller: Pick<Caller, 'uid' | 'gid'>, command: readonly string[]): string[] {
  return ['setpriv', `--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--init-groups', '--reset-env', '--', ...command];
}

/** A process started as the caller (spawnAsCaller). */
export interface CallerProcess {
  child: ChildProcess;
  /** All it wrote to stderr so far. */
  readonly stderr: string;
  /** Its end: the exit code once its stdio closed; null with `error` when it could not be started. */
  exited: Promise<{ code: number | null; error?: Error }>;
}

/**
 * Start `argv` (asCallerArgv's, or a builder's on it) with its stderr collected as it comes
 * and its end as a promise that never rejects: each caller words its own failure. A stdin it
 * stopped reading (EPIPE) is no error of ours: its end says what went wrong.
 */
export function spawnAsCaller(argv: readonly string[], stdio: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | number } = {}): CallerProcess {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: [stdio.stdin ?? 'pipe', stdio.stdout ?? 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  return {
    child,
    exited,
    get stderr() {
      return stderr;
    },
  };
}

/** Whether it said `ready` (a line on stdout) before it ended, or within `timeoutMs`. */
export function saysReady(p: CallerProcess, timeoutMs?: number): Promise<boolean> {
  return new Promise((resolve) => {
    let out = '';
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve(false), timeoutMs);
    const settle = (ready: boolean) => {
      clearTimeout(timer);
      resolve(ready);
    };
    p.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) settle(true);
    });
    void p.exited.then(() => settle(false));
  });
}

export async function readAsCaller(ctx: Context, caller: Caller, file: string): Promise<string> {
  const r = await ctx.run(asCallerArgv(caller, ['cat', '--', file]), { reject: false });
  if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `cannot read ${file}`);
  return r.stdout;
}

/** Copy `file` (any bytes: a package) to `dest`, a new file of the service's, reading it as the caller. */
export async function copyAsCaller(caller: Pick<Caller, 'uid' | 'gid'>, file: string, dest: string): Promise<void> {
  const out = await fs.open(dest, 'wx', 0o600);
  try {
    const p = spawnAsCaller(asCallerArgv(caller, ['cat', '--', file]), { stdin: 'ignore', stdout: out.fd });
    const { code } = await p.exited;
    if (code !== 0) throw new Error(p.stderr.trim() || `cannot read ${file}`);
  } finally {
    await out.close();
  }
}

/**
 * Write a file as the caller: a process running as them (`setpriv`) takes the bytes on its
 * stdin into a temporary beside `file` and renames it over `file` once all came (atomic, as
 * racker's own writes are); what they may not write, they get an error for. `write` feeds
 * the stream and resolves when everything is written.
 */
export async function writeAsCaller(caller: Pick<Caller, 'uid' | 'gid'>, file: string, write: (out: Writable) => Promise<void>): Promise<void> {
  // `ready` once the temporary is open: no byte is sent to a writer that could not open it.
  const script = [
    'd=$(dirname -- "$1"); t="$d/.$(basename -- "$1").racker-$$"',
    'trap \'rm -f -- "$t"\' EXIT',
    'exec 3>"$t"',
    'echo ready',
    'cat >&3 && exec 3>&- && chmod 644 "$t" && mv -f -- "$t" "$1" && trap - EXIT',
  ].join('\n');
  const p = spawnAsCaller(asCallerArgv(caller, ['sh', '-c', script, 'sh', file]));
  const stdin = p.child.stdin!;
  const ready = await saysReady(p);
  const why = () => new RackerError(`cannot write ${file}: ${writerWhy(p.stderr)}`, { exitCode: 1 });
  if (!ready) throw why();
  let failed: unknown;
  // A writer that fails later (a full disk) goes away: the bytes then meet EPIPE, and its own
  // reason is the one to give.
  try {
    await write(stdin);
    stdin.end();
  } catch (err) {
    failed = err;
    stdin.destroy();
  }
  if ((await p.exited).code !== 0) throw why();
  if (failed) throw failed;
}

/** The writer's first complaint, without dash's prefix ("sh: 1: cannot create /root/.x.tar.racker-7: Permission denied" → "Permission denied"). Pure. */
export function writerWhy(stderr: string): string {
  const line = stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^sh: \d+: (cannot create [^:]*: )?/, '') || 'the writer failed';
}

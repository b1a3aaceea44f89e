/**
 * Long-running subprocesses (container processes): started, watched and signalled rather
 * than buffered. node:child_process directly, for start-up speed (see run.ts).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { MissingToolError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { signalIfAlive } from './procfs.js';
import { TOOL_PACKAGES, redact } from './run.js';

type Stdio = 'inherit' | 'ignore' | 'pipe' | { file: string; append: true };

export interface StartOptions {
  env?: Record<string, string>;
  /** Only `env` reaches the program: nothing of racker's own environment leaks in. */
  cleanEnv?: boolean;
  stdin?: Stdio;
  stdout?: Stdio;
  stderr?: Stdio;
  /** A new session: survives racker's exit and its terminal's signals. */
  detached?: boolean;

  log?: Logger;
}

export interface Exit {
  exitCode?: number;
  signal?: NodeJS.Signals;
}

export interface StartedProcess {
  pid: number;
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  exited: Promise<Exit>;
  /**
   * The process itself has ended, and how; `exited` also waits for its pipes to close, which
   * never happens while a process it left behind still holds them (nspawn killed -9: its
   * orphaned container keeps nspawn's stdout and stderr; a command's `sleep 100 &`).
   */
  ended: Promise<Exit>;
  kill(signal?: NodeJS.Signals | number): void;
  /** Let racker exit while the process goes on. */
  unref(): void;
}

/** 128+N for a signal death, like shells and docker report it. */
export function exitStatus(exit: Exit): number {
  if (exit.exitCode !== undefined) return exit.exitCode;
  if (exit.signal) {
    const n = signalNumber(exit.signal);
    return n ? 128 + n : 255;
  }
  return 255;
}

export function signalNumber(signal: string): number | undefined {
  return (osConstants.signals as Record<string, number>)[signal];
}

export async function startProcess(argv: readonly string[], opts: StartOptions = {}): Promise<StartedProcess> {
  const [file, ...args] = argv;
  if (!file) throw new Error('startProcess: empty argv');
  const started = performance.now();
  const fds: number[] = [];
  const stdio = [opts.stdin ?? 'ignore', opts.stdout ?? 'ignore', opts.stderr ?? 'ignore'].map((s) => {
    if (typeof s !== 'object') return s;
    const fd = openSync(s.file, 'a', 0o640);
    fds.push(fd);
    return fd;
  });
  const env = opts.cleanEnv ? { ...opts.env } : { ...process.env, ...opts.env };
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, { env, stdio: stdio as StdioOptions, detached: opts.detached ?? false });
  } catch (err) {
    // spawn() throws some failures itself instead of emitting 'error': close the files opened
    // for stdio, and say E2BIG (a user's --env-file line or argument beyond the kernel's
    // limits) in one line rather than "internal error: spawn E2BIG".
    for (const fd of fds) closeSync(fd);
    if ((err as NodeJS.ErrnoException).code === 'E2BIG') {
      throw new UsageError('argument list too long: each command argument or environment variable must be under 128 KiB, and all of them together under the kernel limit (getconf ARG_MAX)');
    }
    throw err;
  }
  try {
    // Wait for spawn (or its failure) so callers get a real PID.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new MissingToolError(file, TOOL_PACKAGES[file] ?? file) : err);
      });
    });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  opts.log?.debug(`started ${redact(argv.join(' '))} as ${child.pid} in ${Math.round(performance.now() - started)} ms`);
  const exited = new Promise<Exit>((resolve) => {
    // 'close' waits for the pipes to drain too, so no output is lost.
    child.once('close', (code, signal) => {
      opts.log?.debug(`${file} (${child.pid}) → ${code ?? signal} after ${Math.round(performance.now() - started)} ms`);
      resolve({ ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) });
    });
  });
  const ended = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) })));
  return {
    pid: child.pid!,
    ended,
    ...(child.stdin ? { stdin: child.stdin } : {}),
    ...(child.stdout ? { stdout: child.stdout } : {}),
    ...(child.stderr ? { stderr: child.stderr } : {}),
    exited,
    kill: (signal = 'SIGTERM') => signalIfAlive(child.pid!, signal),
    unref: () => child.unref(),
  };
}

/**
 * Start a process that outlives racker (the supervisor of `run -d`): its own session,
 * stdin/stdout closed, stderr appended to a file, nothing keeping racker's event loop alive.
 */
/** `stdin`: a descriptor for the daemon's stdin (default /dev/null); `env`: its environment (default this process's). */
export async function spawnDaemon(argv: readonly string[], stderrFile: string, stdin: 'ignore' | number = 'ignore', env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnDaemon: empty argv');
  const fd = openSync(stderrFile, 'a', 0o640);
  try {
    const child = spawn(file, args, { detached: true, stdio: [stdin, 'ignore', fd], env });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

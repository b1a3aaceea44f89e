/**
 * The ready command process of the racker service (lib/api/cli-ready.ts): a `racker` started
 * before its command is known, so that a member's forwarded command does not wait for Node's
 * own start (~100 ms here, doc/performance.md). The launcher (cli/launcher.ts) sees
 * RACKER_READY_FD, loads Node's modules, then blocks on that descriptor until the service writes
 * the one request it will run: argv, cwd and the whole environment (the caller's RACKER_CALLER
 * included), as one JSON line. Only then does anything of racker's own run: the bundle and its
 * code cache are chosen by the request's command word (cli/bundle-choice.ts) and read, the
 * bundle's top level runs with the request's argv, environment and directory, so no module
 * can have read another caller's (or nobody's) state before the request was applied. A ready process runs exactly one command; EOF before a
 * request (the service stopped or died) ends it quietly.
 *
 * Loaded by the launcher before the bundle: nothing here computes at import.
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Node's own modules racker's commands load (a run: all of them), loaded while the process
 * waits: ~10 ms of a command's start here. Node's modules read nothing of argv, cwd or the
 * forwarded variables when loaded; racker's own code is not loaded before the request.
 */
export const PRELOADED_BUILTINS = ['node:assert', 'node:child_process', 'node:crypto', 'node:fs/promises', 'node:http', 'node:net', 'node:os', 'node:perf_hooks', 'node:stream', 'node:stream/promises', 'node:string_decoder', 'node:timers/promises', 'node:url', 'node:util'];

export function preloadBuiltins(): void {
  const load = createRequire('/');
  for (const m of PRELOADED_BUILTINS) load(m);
}

export interface ReadyRequest {
  /** The command's own words (process.argv after node and the script). */
  argv: string[];
  cwd: string;
  /** The complete environment the command runs with: it replaces the ready process's own. */
  env: Record<string, string>;
}

/** The service's side: one line, what readyRequestSync reads. Pure. */
export function encodeReadyRequest(req: ReadyRequest): string {
  return `${JSON.stringify({ argv: req.argv, cwd: req.cwd, env: req.env })}\n`;
}

/** A request line, checked (it only comes from the service, but a wrong shape must not run half-applied). Pure. */
export function parseReadyRequest(line: string): ReadyRequest {
  const r = JSON.parse(line) as Partial<ReadyRequest>;
  if (!Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string')) throw new Error('ready request: argv must be a list of strings');
  if (typeof r.cwd !== 'string' || !r.cwd.startsWith('/')) throw new Error('ready request: cwd must be an absolute path');
  if (r.env === null || typeof r.env !== 'object' || Array.isArray(r.env) || !Object.values(r.env).every((v) => typeof v === 'string')) throw new Error('ready request: env must map names to strings');
  return { argv: r.argv, cwd: r.cwd, env: r.env };
}

/** What the ready process answers on its pipe once it has the request, before anything of it runs. */
export const READY_ACK = 'k';

/**
 * Blocks until one request line has come on fd, then answers READY_ACK on ackFd (the same
 * pipe): the service runs the command elsewhere unless it got that answer, so a ready process
 * that died before it (killed, or out of memory) loses no command, and one that answered runs
 * it exactly once. undefined: EOF before a whole line, or no way to answer (the service went).
 * Closes fd either way: it is no close-on-exec descriptor, and the command's own children
 * (supervisors, nspawn) must not inherit it.
 */
export function readReadyRequestSync(fd: number, ackFd = fd): ReadyRequest | undefined {
  try {
    const req = readLine(fd);
    if (req === undefined) return undefined;
    try {
      writeSync(ackFd, READY_ACK);
    } catch {
      return undefined;
    }
    return req;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Not open: nothing to close.
    }
  }
}

function readLine(fd: number): ReadyRequest | undefined {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      // A non-blocking descriptor: wait a little (nothing else runs in this process yet).
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw err;
    }
    if (n === 0) return undefined;
    const piece = buf.subarray(0, n);
    const nl = piece.indexOf(10);
    if (nl >= 0) {
      chunks.push(Buffer.from(piece.subarray(0, nl)));
      return parseReadyRequest(Buffer.concat(chunks).toString('utf8'));
    }
    chunks.push(Buffer.from(piece));
  }
}

/** Makes this process the request's: argv, environment (replaced in place, so TZ's setter and child processes see it), directory. */
export function applyReadyRequest(req: ReadyRequest, proc: Pick<NodeJS.Process, 'argv' | 'env' | 'chdir'> = process): void {
  proc.argv.splice(2, proc.argv.length - 2, ...req.argv);
  for (const k of Object.keys(proc.env)) if (!Object.hasOwn(req.env, k)) delete proc.env[k];
  for (const [k, v] of Object.entries(req.env)) if (proc.env[k] !== v) proc.env[k] = v;
  proc.chdir(req.cwd);
}

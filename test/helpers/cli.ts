/** Run the compiled CLI the way a user does, against a private RACKER_ROOT. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const rackerBin = path.join(repoRoot, 'dist/bin/racker.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  /** Prefix argv, e.g. ['runuser', '-u', 'nobody', '--']. */
  wrapper?: string[];
  timeoutMs?: number;
  cwd?: string;
}

export function tempRoot(prefix = 'racker-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** What a test compares: exit code and both streams (not the signal), in one deep-equal. */
export function seen(r: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export interface BinaryResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run argv to the end with stdin fed from `input` and stdout kept as bytes: the one
 * subprocess runner of the test helpers (racker, the docker CLI). SIGKILL after timeoutMs.
 */
export function collect(
  argv: readonly string[],
  opts: { env: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs: number; cwd?: string },
): Promise<BinaryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    // EPIPE if the program exits before reading everything: the result tells what happened.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export async function cli(bin: string, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await collect([...(opts.wrapper ?? []), process.execPath, bin, ...args], {
    env: { ...process.env, RACKER_DEBUG: undefined, ...opts.env } as NodeJS.ProcessEnv,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeoutMs: opts.timeoutMs ?? 300_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return { ...r, stdout: r.stdout.toString() };
}

export function racker(args: string[], opts: CliOptions & { root: string }): Promise<CliResult> {
  return cli(rackerBin, args, { ...opts, env: { RACKER_ROOT: opts.root, ...opts.env } });
}

/** Start racker in its own process group, so a test can kill it and everything it started. */
export function spawnRacker(args: string[], opts: { root: string; env?: Record<string, string> }): import('node:child_process').ChildProcess {
  return spawn(process.execPath, [rackerBin, ...args], {
    env: { ...process.env, RACKER_ROOT: opts.root, ...opts.env },
    stdio: 'ignore',
    detached: true,
  });
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The result, or a thrown error showing its exit code and output (for steps that must succeed). */
export function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

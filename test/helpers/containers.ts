/**
 * Helpers for the container integration tests: binary-safe runs, a racker started in the
 * background with its output kept, and a census of what a container may leave behind
 * (mounts, processes inside a container root, nspawn processes, state dirs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { collect, racker, rackerBin, type BinaryResult, type CliResult } from './cli.js';

export type { BinaryResult } from './cli.js';

function rackerEnv(root: string, env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, RACKER_DEBUG: undefined, RACKER_ROOT: root, ...env } as NodeJS.ProcessEnv;
}

/** Like racker() from cli.ts, but stdout stays a Buffer (cli.ts decodes it as UTF-8). */
export function rackerBinary(
  args: string[],
  opts: { root: string; input?: Buffer; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<BinaryResult> {
  return collect([process.execPath, rackerBin, ...args], {
    env: rackerEnv(opts.root, opts.env),
    input: opts.input ?? Buffer.alloc(0),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Resolves when racker has exited and its output is complete. */
  result: Promise<CliResult>;
}

/**
 * racker in the background, in its own process group (so a test can send a signal to the
 * group, as a terminal's Ctrl-C does, or to racker alone), with stdout/stderr collected.
 */
export function startRacker(args: string[], opts: { root: string; env?: Record<string, string | undefined> }): Started {
  const child = spawn(process.execPath, [rackerBin, ...args], {
    env: rackerEnv(opts.root, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
  return { child, pid: child.pid!, result };
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone, or a kernel thread
  }
}

export interface ProcInfo {
  pid: number;
  comm: string;
}

/**
 * Processes running inside a container of this root: their "/" is an overlay whose
 * lower/upper dirs live under root. (Processes on the host also see a running container's
 * overlay, but mounted elsewhere, never as their "/".)
 */
export function processesInside(root: string): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const pid of pids()) {
    const info = readProc(pid, 'mountinfo');
    if (!info) continue;
    const rootMount = info.split('\n').find((l) => l.split(' ')[4] === '/');
    if (rootMount?.includes(`${root}/`)) found.push({ pid, comm: (readProc(pid, 'comm') ?? '?').trim() });
  }
  return found;
}

/** systemd-nspawn (or anything else) whose argv names root, and racker processes working on root. */
export function processesFor(root: string): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const stat = readProc(pid, 'stat');
    if (!stat || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue; // zombies hold nothing
    const cmdline = (readProc(pid, 'cmdline') ?? '').split('\0');
    const environ = (readProc(pid, 'environ') ?? '').split('\0');
    if (cmdline.some((a) => a.includes(`${root}/`)) || environ.includes(`RACKER_ROOT=${root}`)) {
      found.push({ pid, comm: (readProc(pid, 'comm') ?? '?').trim() });
    }
  }
  return found;
}

/** Mount points (host mount namespace) under root. */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === root || m.startsWith(`${root}/`)));
}

/** Containers' state directories that still exist. */
export function stateDirs(root: string): string[] {
  const found: string[] = [];
  for (const dir of ['lib/containers', 'run/containers']) {
    const full = path.join(root, dir);
    if (existsSync(full)) found.push(...readdirSync(full).map((n) => `${dir}/${n}`));
  }
  return found;
}

/** The per-machine directory systemd-nspawn keeps under /run while a container runs. */
export function propagateDir(id: string): string {
  return `/run/systemd/nspawn/propagate/racker-${id.slice(0, 12)}`;
}

export interface LeftoverOptions {
  /** Container IDs whose nspawn /run directories must be gone too. */
  ids?: readonly string[];
  /** Also report containers' state directories (false while exited containers are kept on purpose). */
  stateDirs?: boolean;
}

/** Everything a finished container must not leave behind, one line each; [] when clean. */
export function leftovers(root: string, opts: LeftoverOptions = {}): string[] {
  return [
    ...mountsUnder(root).map((m) => `mount ${m}`),
    ...processesInside(root).map((p) => `process inside a container: ${p.pid} ${p.comm}`),
    ...processesFor(root).map((p) => `process for ${root}: ${p.pid} ${p.comm}`),
    ...(opts.stateDirs === false ? [] : stateDirs(root).map((d) => `state ${d}`)),
    ...(opts.ids ?? []).map(propagateDir).filter((d) => existsSync(d)).map((d) => `nspawn dir ${d}`),
  ];
}

/** Poll until check() is true (async checks allowed). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Process state letter from /proc/PID/stat (R, S, Z, …), undefined once it is gone. */
export function processState(pid: number): string | undefined {
  const stat = readProc(pid, 'stat');
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Last-resort cleanup for after(): SIGKILL whatever a failed test left running for this
 * root (each container's PID 1 takes its whole PID namespace with it), then detach mounts.
 * Only processes that belong to this root are touched.
 */
export async function killLeftovers(root: string): Promise<string[]> {
  const victims = [...processesInside(root), ...processesFor(root)];
  for (const p of victims) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (victims.length) await new Promise((r) => setTimeout(r, 200));
  const mounts = mountsUnder(root).sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    await new Promise<void>((resolve) => spawn('umount', ['-l', m], { stdio: 'ignore' }).on('close', () => resolve()));
  }
  return [...victims.map((p) => `killed ${p.pid} ${p.comm}`), ...mounts.map((m) => `unmounted ${m}`)];
}


/**
 * The first child of this root's systemd-nspawn (the container's PID 1 once it has exec'd),
 * found cheaply enough to poll in a tight loop. `nspawnPid` caches the nspawn lookup.
 */
export function nspawnPayload(root: string, cache: { nspawnPid?: number } = {}): ProcInfo | undefined {
  cache.nspawnPid ??= processesFor(root).find((p) => p.comm === 'systemd-nspawn')?.pid;
  const pid = cache.nspawnPid;
  if (pid === undefined) return undefined;
  const child = Number((readProc(pid, `task/${pid}/children`) ?? '').trim().split(/\s+/)[0]);
  if (!child) return undefined;
  const comm = readProc(child, 'comm')?.trim();
  return comm === undefined ? undefined : { pid: child, comm };
}

/**
 * For after(): `rm -f` every container of root, then killLeftovers() for whatever a failed
 * test left beyond racker's reach. Returns what had to be killed.
 */
export async function removeAllContainers(root: string): Promise<string[]> {
  const q = await racker(['ps', '-a', '-q', '--no-trunc'], { root }).catch(() => undefined);
  const all = q?.stdout.split('\n').filter(Boolean) ?? [];
  if (all.length) await racker(['rm', '-f', ...all], { root });
  return killLeftovers(root);
}

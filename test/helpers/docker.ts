/**
 * The Engine API under test: `racker system service` on a socket in a private root, and the
 * real docker CLI (Debian's docker.io client; no dockerd) pointed at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { collect, rackerBin, type CliResult } from './cli.js';

/** The docker client from Debian's docker.io package; RACKER_TEST_DOCKER names another. */
export function dockerClient(): string | undefined {
  const wanted = process.env.RACKER_TEST_DOCKER;
  if (wanted) return wanted;
  for (const p of ['/usr/bin/docker', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'docker'))]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Other docker clients on this machine (e.g. a newer static build), for a second opinion: other
 * programs, not other names of the same one (on a merged-/usr host /bin/docker is /usr/bin/docker).
 */
export function otherDockerClients(main: string): string[] {
  const seen = new Set<string>([realpathSync(main)]);
  const found: string[] = [];
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = path.join(d, 'docker');
    if (!existsSync(p)) continue;
    const real = realpathSync(p);
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(p);
  }
  return found;
}

export interface Service {
  socket: string;
  host: string;
  child: ChildProcess;
  /** What the service printed on stderr so far. */
  stderr(): string;
  /** SIGTERM, and wait until it has exited. */
  stop(): Promise<number | null>;
}

async function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket, () => c.end('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    c.on('data', (b) => (text += b.toString()));
    c.on('close', () => resolve(text.startsWith('HTTP/1.1 200')));
    c.on('error', () => resolve(false));
  });
}

const services = new Set<ChildProcess>();
// mocha --exit never kills children: a failed test must not leave a service running.
process.on('exit', () => {
  for (const c of services) c.kill('SIGKILL');
});

export async function startService(root: string, opts: { socket?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<Service> {
  const socket = opts.socket ?? path.join(root, 'run', 'docker.sock');
  const child = spawn(process.execPath, [rackerBin, 'system', 'service', '--socket', socket, ...(opts.args ?? [])], {
    env: { ...process.env, RACKER_DEBUG: undefined, RACKER_ROOT: root, ...opts.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  services.add(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!(await answers(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`racker system service did not come up on ${socket}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    host: `unix://${socket}`,
    child,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      services.delete(child);
      return code;
    },
  };
}

/** A private DOCKER_CONFIG, so the client reads and writes nothing of the user's. */
export function dockerConfigDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-docker-config-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The client's environment: nothing of the user's but PATH and HOME. */
function dockerEnv(host: string, configDir?: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: host, ...(configDir ? { DOCKER_CONFIG: configDir } : {}) } as NodeJS.ProcessEnv;
}

/** Like docker(), with stdin and stdout as bytes (for binary round trips). */
export async function dockerBinary(
  bin: string,
  host: string,
  args: string[],
  opts: { input: Buffer; configDir?: string; timeoutMs?: number },
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const { code, stdout, stderr } = await collect([bin, ...args], { env: dockerEnv(host, opts.configDir), input: opts.input, timeoutMs: opts.timeoutMs ?? 120_000 });
  return { code, stdout, stderr };
}

/** Run the docker CLI against `host`; stdout stays exact (no trimming). */
export async function docker(
  bin: string,
  host: string,
  args: string[],
  opts: { input?: string; configDir?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const r = await collect([bin, ...args], { env: dockerEnv(host, opts.configDir), input: opts.input ?? '', timeoutMs: opts.timeoutMs ?? 120_000 });
  return { ...r, stdout: r.stdout.toString() };
}

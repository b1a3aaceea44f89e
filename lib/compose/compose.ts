/**
 * racker compose: the host's compose implementation (the docker CLI's `compose` plugin, else
 * Debian's docker-compose) against racker's Engine API. A running `racker system service` on
 * the store's socket is used; otherwise one is started for the duration (containers it
 * starts outlive it, under their own supervisors).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { rackerBin } from '../container/detached.js';
import { onPath } from '../exec/path.js';

/** argv of the compose to run: `docker compose` where the plugin answers, else docker-compose. */
export function findCompose(env: NodeJS.ProcessEnv = process.env): string[] {
  const docker = onPath('docker', env);
  if (docker && spawnSync(docker, ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return [docker, 'compose'];
  const legacy = onPath('docker-compose', env);
  if (legacy) return [legacy];
  throw new RackerError('no compose is installed (neither the docker compose plugin nor docker-compose)', { hint: 'install it with: apt-get install docker-compose' });
}

/** Does an Engine API answer on this socket? */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket, () => c.end('GET /_ping HTTP/1.1\r\nHost: racker\r\nConnection: close\r\n\r\n'));
    let text = '';
    c.on('data', (b) => (text += b.toString()));
    c.on('close', () => resolve(text.startsWith('HTTP/1.1 200')));
    c.on('error', () => resolve(false));
    c.setTimeout(2000, () => c.destroy());
  });
}

export interface ApiSocket {
  socket: string;
  stop(): Promise<void>;
}

/** The store's running service, or one started now (stopped by `stop`). */
export async function apiSocket(ctx: Context): Promise<ApiSocket> {
  const shared = path.join(ctx.paths.run, 'docker.sock');
  if (await answers(shared)) return { socket: shared, stop: async () => undefined };
  const socket = path.join(ctx.paths.run, `compose-${process.pid}.sock`);
  const child = spawn(process.execPath, [rackerBin(), 'system', 'service', '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 15_000;
  while (!(await answers(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RackerError(`the Engine API service for compose did not start: ${stderr.trim().split('\n').pop() ?? ''}`);
    }
    await sleep(20);
  }
  return {
    socket,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(socket, { force: true });
    },
  };
}

/** Run compose with `args`, the terminal passed through; its exit code (128+N when killed). */
export async function runCompose(ctx: Context, args: readonly string[]): Promise<number> {
  const argv = findCompose();
  const api = await apiSocket(ctx);
  try {
    const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: 'inherit', env: { ...process.env, DOCKER_HOST: `unix://${api.socket}` } });
    // Ctrl-C reaches compose through the terminal's process group; a SIGTERM to racker is passed on.
    const forward = () => child.kill('SIGTERM');
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
    });
    process.off('SIGTERM', forward);
    return code;
  } finally {
    await api.stop();
  }
}

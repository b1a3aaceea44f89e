/**
 * `racker`/`postroj` run by an ordinary user: the command goes to the racker service
 * (POST /racker/v1/cli, lib/api/cli-forward.ts), which runs it as root under the member
 * policy and streams its stdio back. Root keeps the direct, daemon-less path; this one
 * behaves the same to the user: output, exit codes, ^C, terminals.
 */
import http from 'node:http';
import { userInfo } from 'node:os';
import { connect as connectUnix, type Socket } from 'node:net';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { definedEnv } from '../exec/env.js';
import { CLI_FRAME as FRAME, frame, parseFrames } from '../api/frames.js';
import { resolvePaths } from '../state/paths.js';


/** Where to look for the service, in order: RACKER_HOST; else DOCKER_HOST (when it is racker's), then the default socket. */
export function serviceSockets(env: NodeJS.ProcessEnv): string[] {
  const unix = (v: string) => (v.startsWith('unix://') ? v.slice('unix://'.length) : v.startsWith('/') ? v : undefined);
  if (env.RACKER_HOST) {
    const p = unix(env.RACKER_HOST);
    if (!p) throw new RackerError(`RACKER_HOST must be a unix socket (unix:///path or /path), not ${env.RACKER_HOST}`);
    return [p];
  }
  const fallback = path.join(resolvePaths(env).run, 'docker.sock');
  const docker = env.DOCKER_HOST ? unix(env.DOCKER_HOST) : undefined;
  return docker && docker !== fallback ? [docker, fallback] : [fallback];
}

/**
 * `-e NAME` / `--env NAME` take NAME's value from the caller's environment, as docker does:
 * resolved here, where that environment is. Only in the first `own` words, the program's own:
 * run's and exec's command after them is the container's (`run img grep -e HOME`). Pure.
 */
export function resolveBareEnv(argv: readonly string[], env: NodeJS.ProcessEnv, own = argv.length): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || i >= own) return [...out, ...argv.slice(i)];
    const value = (name: string) => (name.includes('=') || env[name] === undefined ? name : `${name}=${env[name]}`);
    if ((a === '-e' || a === '--env') && i + 1 < own) {
      out.push(a, value(argv[++i]!));
    } else if (a.startsWith('--env=')) {
      out.push(`--env=${value(a.slice(6))}`);
    } else out.push(a);
  }
  return out;
}

interface Session {
  socket: Socket;
  head: Buffer;
}

class NotRacker extends Error {}

/** Exported for the unit test. */
export function openSession(socketPath: string, body: string): Promise<Session> {
  return new Promise((resolve, reject) => {
    // Our own connection, no http.Agent: the global agent works out a TLS server name for every
    // request (isIP of the Host header), whose first use compiles Node's IPv6 regex, ~5 ms of
    // every forwarded command's start (doc/performance.md). One request per connection anyway.
    const req = http.request({
      createConnection: () => connectUnix(socketPath),
      method: 'POST',
      path: '/racker/v1/cli',
      headers: { Host: 'racker', Upgrade: 'racker-cli', Connection: 'Upgrade', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    // ref(): an upgraded socket may come back unref'd from the agent, and then nothing would keep this process alive while the command runs.
    req.once('upgrade', (_res, socket, head) => resolve({ socket: socket.ref(), head }));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const server = String(res.headers.server ?? '');
        let message = Buffer.concat(chunks).toString().trim();
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          // Not JSON: shown as it came.
        }
        if (!server.startsWith('racker/')) reject(new NotRacker(`${socketPath} is not racker's service (${server || 'no Server header'})`));
        else reject(new RackerError(message || `the racker service answered ${res.statusCode}`));
      });
    });
    req.once('error', reject);
    req.end(body);
  });
}

function unreachable(socketPath: string, err: NodeJS.ErrnoException): RackerError {
  const user = userInfo().username;
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new RackerError(`permission denied on ${socketPath}: ${user} is not in the group allowed to use the racker service`, { hint: `sudo usermod -aG racker ${user}, then log in again; or run racker with sudo` });
  }
  return new RackerError(`cannot reach the racker service at ${socketPath} (${err.code ?? err.message})`, { hint: 'start it: sudo systemctl start racker.socket, or sudo racker system service --group racker; or run racker with sudo' });
}

async function connect(req: object): Promise<Session> {
  const body = JSON.stringify(req);
  const sockets = serviceSockets(process.env);
  let first: RackerError | undefined;
  for (const s of sockets) {
    try {
      return await openSession(s, body);
    } catch (err) {
      if (err instanceof RackerError) throw err;
      first ??= err instanceof NotRacker ? new RackerError(err.message) : unreachable(s, err as NodeJS.ErrnoException);
    }
  }
  throw first!;
}

/** Runs the command through the service; resolves with its exit code. `own`: resolveBareEnv's. */
export async function forwardCommand(program: 'racker' | 'postroj', argv: string[], own = argv.length): Promise<number> {
  const stdin = process.stdin;
  const tty = Boolean(stdin.isTTY && process.stdout.isTTY);
  const size: [number, number] | undefined = tty && process.stdout.rows ? [process.stdout.rows, process.stdout.columns] : undefined;
  const { socket, head } = await connect({ program, argv: resolveBareEnv(argv, process.env, own), cwd: process.cwd(), env: definedEnv(process.env), tty, ...(size ? { size } : {}) });
  const send = (type: number, data: Buffer | string) => socket.write(frame(type as 0, Buffer.from(data)));

  if (tty) {
    stdin.setRawMode(true);
    // Raw all the way, output too (Node's raw mode keeps \n → \r\n): the service's terminal
    // does what this one would, so lines must pass as they come (else \r\r\n). setRawMode(false)
    // puts back what was there.
    // child_process only here: loading it costs every forwarded command ~3 ms of its start.
    (await import('node:child_process')).spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }
  const onSignal = (sig: NodeJS.Signals) => send(FRAME.signal, sig);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const onResize = () => send(FRAME.resize, `${process.stdout.rows} ${process.stdout.columns}`);
  if (tty) process.stdout.on('resize', onResize);
  stdin.on('data', (d: Buffer) => send(FRAME.stdin, d));
  stdin.once('end', () => send(FRAME.stdinEnd, ''));
  stdin.on('error', () => undefined);

  try {
    return await new Promise<number>((resolve, reject) => {
      let rest: Buffer = Buffer.alloc(0);
      let code: number | undefined;
      const take = (d: Buffer) => {
        const parsed = parseFrames(Buffer.concat([rest, d]));
        rest = Buffer.from(parsed.rest);
        for (const f of parsed.frames) {
          if (f.stream === FRAME.stdout) process.stdout.write(f.payload);
          else if (f.stream === FRAME.stderr) process.stderr.write(f.payload);
          else if (f.stream === FRAME.exit) code = Number(f.payload.toString());
        }
      };
      if (head.length) take(head);
      socket.on('data', take);
      socket.once('close', () => (code === undefined ? reject(new RackerError('the racker service closed the connection before the command ended')) : resolve(code)));
      socket.on('error', () => undefined);
    });
  } finally {
    for (const s of signals) process.off(s, onSignal);
    if (tty) {
      process.stdout.off('resize', onResize);
      stdin.setRawMode(false);
    }
    stdin.pause();
    stdin.unref?.();
  }
}


// A docker-registry on 127.0.0.1 serving the cached fixture images built by
// scripts/build-fixtures.sh (library/debian:bookworm, racker/multilayer:latest,
// racker/busybox:latest). One registry process per startRegistry() call.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface FixtureRegistry {
  host: string; // "127.0.0.1:PORT"
  url: string; // "http://127.0.0.1:PORT"
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** htpasswd (bcrypt) basic auth; /v2/ then answers 401 without credentials. */
  auth?: { user: string; password: string };
  /** Serve a private copy of the storage so the test may push. Default: the shared cache, read-only. */
  writable?: boolean;
  /**
   * Which cached images: the main set (default), or scripts/build-foreign-fixtures.sh's
   * "busybox" (racker/multiarch, racker/amd64only) or "debian" (an arm64 racker/debian:bookworm).
   */
  foreign?: 'busybox' | 'debian';
}

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-fixtures.sh', import.meta.url));
const FOREIGN_SCRIPT = fileURLToPath(new URL('../../scripts/build-foreign-fixtures.sh', import.meta.url));
const FOREIGN_DIRS = { busybox: 'foreign', debian: 'foreign-debian' } as const;
const START_TIMEOUT_MS = 10_000;

/** Same rule as the script: ${RACKER_FIXTURES:-/var/cache/racker-fixtures} (empty counts as unset). */
export function fixturesDir(): string {
  return process.env.RACKER_FIXTURES || '/var/cache/racker-fixtures';
}

let building: Promise<void> | undefined;

// mocha runs with --exit, and Node never kills its children when it exits: stop what a failed test left running.
const running = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Builds the fixture cache unless it is complete. The script serializes concurrent builders with flock. */
export async function ensureFixtures(): Promise<void> {
  if (existsSync(join(fixturesDir(), 'registry', '.complete'))) return;
  building ??= (async () => {
    // stdout to our stderr as well: stdout belongs to the test reporter, which CI parses.
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 2, 'inherit'] });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) throw new Error(`${BUILD_SCRIPT} failed (${signal ?? `exit ${code}`})`);
  })().finally(() => {
    building = undefined;
  });
  return building;
}

/** The foreign-architecture set, built once like the main one (the script locks and is idempotent). */
export async function ensureForeignFixtures(set: 'busybox' | 'debian'): Promise<void> {
  if (existsSync(join(fixturesDir(), FOREIGN_DIRS[set], 'registry', '.complete'))) return;
  const child = spawn('bash', [FOREIGN_SCRIPT, set], { stdio: ['ignore', 2, 'inherit'] });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`${FOREIGN_SCRIPT} ${set} failed (${signal ?? `exit ${code}`})`);
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<FixtureRegistry> {
  if (opts.foreign) await ensureForeignFixtures(opts.foreign);
  else await ensureFixtures();
  const dir = await mkdtemp(join(tmpdir(), 'racker-registry-'));
  try {
    let storage = join(fixturesDir(), opts.foreign ? FOREIGN_DIRS[opts.foreign] : '', 'registry', 'storage');
    if (opts.writable) {
      // A copy, so pushes never touch the shared cache (reflinks make it nearly free where supported).
      await execFileAsync('cp', ['-a', '--reflink=auto', storage, join(dir, 'storage')]);
      storage = join(dir, 'storage');
    }
    let htpasswd: string | undefined;
    if (opts.auth) {
      htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, await bcryptLine(opts.auth.user, opts.auth.password), { mode: 0o600 });
    }
    // The port comes from the kernel, but is free again before the registry binds it: retry on a lost race.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      await writeFile(config, registryConfig({ port, storage, htpasswd, readOnly: !opts.writable }));
      const log = join(dir, 'registry.log');
      // setpriv --pdeathsig: the registry dies with this process even if it is killed outright.
      const child = await spawnLogged('setpriv', ['--pdeathsig', 'KILL', 'docker-registry', 'serve', config], log);
      running.set(child, dir);
      const host = `127.0.0.1:${port}`;
      const up = await waitUp(child, `http://${host}/v2/`, opts.auth !== undefined);
      if (up) return { host, url: `http://${host}`, stop: () => stop(child, dir) };
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('\n');
      await kill(child);
      running.delete(child);
      if (/failed to execute/.test(tail)) throw new Error('missing docker-registry (apt-get install docker-registry)');
      if (attempt >= 3 || !/address already in use/.test(tail)) {
        throw new Error(`docker-registry did not come up on ${host}:\n${tail}`);
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface ConfigInput {
  port: number;
  storage: string;
  htpasswd: string | undefined;
  readOnly: boolean;
}

function registryConfig(c: ConfigInput): string {
  const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(c.storage)}`,
    // Several registries may serve the shared cache at once: make sure none of them ever writes to it.
    // Upload purging would otherwise walk and delete in _uploads at startup.
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    '    readonly:',
    `      enabled: ${c.readOnly}`,
    'http:',
    `  addr: 127.0.0.1:${c.port}`,
    `  secret: ${randomBytes(16).toString('hex')}`, // silences the "generated random secret" warning
  ];
  if (c.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: racker-fixtures', `    path: ${q(c.htpasswd)}`);
  return lines.join('\n') + '\n';
}

async function bcryptLine(user: string, password: string): Promise<string> {
  try {
    // -B bcrypt (the only scheme distribution accepts), -b password from argv, -n print instead of a file.
    const { stdout } = await execFileAsync('htpasswd', ['-Bbn', user, password]);
    return stdout.trim() + '\n';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('missing htpasswd (apt-get install apache2-utils)');
    }
    throw err;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

async function spawnLogged(cmd: string, args: string[], logFile: string): Promise<ChildProcess> {
  const log = await open(logFile, 'w');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', log.fd, log.fd] });
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => {
        const e = err as NodeJS.ErrnoException;
        throw e.code === 'ENOENT' ? new Error(`missing ${cmd}`) : e;
      }),
    ]);
    return child;
  } finally {
    await log.close(); // the child holds its own copy of the descriptor
  }
}

/** Polls /v2/ until it answers 200 (or 401 with auth on); false if the process dies or time runs out. */
async function waitUp(child: ChildProcess, url: string, auth: boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200 || (auth && res.status === 401)) return true;
    } catch {
      // connection refused: not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  await kill(child);
  running.delete(child);
  await rm(dir, { recursive: true, force: true });
}

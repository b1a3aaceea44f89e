/**
 * The Engine API server: HTTP on a unix socket (node:http), routed to the resource files.
 * It holds no container itself: containers run under racker's detached supervisors, so
 * they outlive the service, and the CLI and the API see the same state.
 */
import { promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import type { Context } from '../context.js';
import { ForbiddenError, RackerError, UsageError } from '../errors.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { callerFor, isMember, type Caller } from '../access/caller.js';
import { peerOf } from '../access/peer.js';
import { archiveRoutes } from './archive.js';
import { containerRoutes } from './containers.js';
import { Engine } from './engine.js';
import { ApiError, messageOf, statusOf } from './errors.js';
import { plainExchange, upgradeExchange, type Exchange } from './exchange.js';
import { execRoutes } from './exec.js';
import { eventRoutes } from './events.js';
import { imageRoutes } from './images.js';
import { buildRoutes } from './build.js';
import { networkRoutes } from './networks.js';
import { volumeRoutes } from './volumes.js';
import { cliRoutes, prestartCommand } from './cli-forward.js';
import { forMembers, match, type Route } from './router.js';
import { serverHeaders, systemRoutes } from './system.js';
import { splitVersion } from './version.js';

export interface ServeOptions {
  ctx: Context;
  socket: string;
  /** A listening socket systemd passed (lib/api/listen.ts): served as is; `socket` is its path, systemd's file. */
  fd?: number;
  /** Group that may use the socket (mode 0660); default root. */
  group?: string;
  version: string;
  bootTimeoutSeconds: number;
}

export interface ApiServer {
  socket: string;
  close(): Promise<void>;
}

/** A group name or number → gid, from /etc/group. */
export async function groupId(group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const text = await fs.readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new UsageError(`no such group: ${group}`);
}

/** A socket file left by a service that died is removed; one that answers is someone's. */
async function clearStaleSocket(file: string): Promise<void> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new UsageError(`${file} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new RackerError(`another service is listening on ${file}`);
  await fs.rm(file, { force: true });
}

export async function serve(opts: ServeOptions): Promise<ApiServer> {
  const gid = opts.group !== undefined ? await groupId(opts.group) : 0;
  // Every request runs with its caller (from the socket) as ctx.caller: the operations below
  // hold a member to lib/access/policy.ts, however deep they are called.
  const requests = new AsyncLocalStorage<Caller | undefined>();
  const ctx: Context = Object.defineProperty({ ...opts.ctx }, 'caller', { get: () => requests.getStore(), enumerable: true });
  const engine = new Engine({ ctx, version: opts.version, bootTimeoutSeconds: opts.bootTimeoutSeconds });
  const routes: Route[] = [
    ...forMembers(systemRoutes(engine)),
    ...imageRoutes(engine),
    ...buildRoutes(engine),
    ...forMembers(containerRoutes(engine)),
    ...forMembers(archiveRoutes(engine)),
    ...forMembers(execRoutes(engine)),
    ...networkRoutes(engine),
    ...volumeRoutes(engine),
    ...forMembers(eventRoutes(engine)),
    ...cliRoutes(engine),
  ];
  const callers = new WeakMap<Socket, Promise<Caller | undefined>>();
  const headers = serverHeaders(engine);
  const connections = new Set<Socket>();

  const dispatch = async (x: Exchange): Promise<void> => {
    const started = performance.now();
    let status = 0;
    try {
      const found = match(routes, x.method, x.path);
      if (!found) throw new ApiError(501, `not supported by racker's Engine API, not implemented: ${x.method} ${x.path}`);
      if (found.access === 'root' && isMember(ctx.caller)) throw new ForbiddenError(`${x.method} ${x.path} is root's: not for members of the racker group (doc/security.md)`);
      await found.handler(x, found.params);
    } catch (err) {
      status = statusOf(err);
      if (status >= 500 && !(err instanceof RackerError) && !(err instanceof ApiError)) ctx.log.warn(`${x.method} ${x.path}: ${(err as Error).stack ?? String(err)}`);
      if (!x.answered) x.json(status, { message: messageOf(err) });
    } finally {
      ctx.log.debug(`API ${x.method} ${x.path}${status ? ` → ${status}` : ''} (${Math.round(performance.now() - started)} ms)`);
    }
  };

  const common = (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://racker');
    const v = splitVersion(url.pathname);
    return { v, common: { method: req.method ?? 'GET', path: v.path, query: url.searchParams, apiVersion: v.version, serverHeaders: headers } };
  };

  /** Who is on the other end, once per connection: the kernel's answer (SO_PEERCRED), never the client's word. */
  const callerOf = (s: Socket): Promise<Caller | undefined> => {
    let known = callers.get(s);
    if (!known) {
      const peer = peerOf(s);
      // Root, or the service's own user, is not held to the member policy. A peer the kernel
      // could not name (no native addon) is held to it as nobody when a --group may connect;
      // without one, only the socket's owner (and root's group) can have connected.
      known = !peer ? (opts.group === undefined ? Promise.resolve(undefined) : callerFor(65534, 65534)) : peer.uid === 0 || peer.uid === process.getuid?.() ? Promise.resolve(undefined) : callerFor(peer.uid, peer.gid);
      callers.set(s, known);
    }
    return known;
  };
  const serveAs = (s: Socket, x: Exchange) => void callerOf(s).then((caller) => requests.run(caller, () => dispatch(x)));

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const { v, common: c } = common(req);
    const x = plainExchange(req, res, c);
    if (v.error) return x.json(400, { message: v.error });
    serveAs(req.socket, x);
  });
  // attach and exec start come as Upgrade requests (the docker CLI's hijack).
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    const { v, common: c } = common(req);
    const x = upgradeExchange(req, socket, head, c);
    if (v.error) return x.json(400, { message: v.error });
    serveAs(socket, x);
  });
  server.on('connection', (s: Socket) => {
    connections.add(s);
    s.once('close', () => connections.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const ours = opts.fd === undefined;
  if (ours) await fs.mkdir(path.dirname(opts.socket), { recursive: true });
  if (ours) await clearStaleSocket(opts.socket);
  // No moment with a socket others could connect to: it is created without group/other bits.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ours ? opts.socket : { fd: opts.fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  // root:root (or root:GROUP) like /run/docker.sock; a non-root caller (tests) keeps its own.
  if (ours && process.getuid?.() === 0) await fs.chown(opts.socket, 0, gid);
  if (ours) await fs.chmod(opts.socket, 0o660);
  await engine.adopt();
  // A --group (or socket activation, whose unit names one) lets members in: their first command finds a ready process.
  if (opts.group !== undefined || opts.fd !== undefined) prestartCommand(engine);

  return {
    socket: opts.socket,
    close: async () => {
      engine.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of connections) s.destroy();
      await closed;
      if (ours) await fs.rm(opts.socket, { force: true });
    },
  };
}

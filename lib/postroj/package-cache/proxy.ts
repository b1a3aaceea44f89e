/**
 * The caching proxy a probe's package manager downloads through: plain HTTP on the host's
 * loopback, started for one probe's package steps (which run with the host's network) and
 * stopped after them. Requests for what policy.ts calls cacheable are answered from the
 * cache when it has them; everything else, and every miss, goes to the mirror, and a
 * cacheable answer is kept on the way through (only a complete 200 to a plain GET, and an
 * apt by-hash index only when its bytes have the hash its name says).
 *
 * Nothing is trusted because it came from the cache: the package manager checks what it
 * gets against its own signed index exactly as it checks a download (apt: the hashes in
 * Packages and InRelease; rpm/pacman: their signatures and repository metadata).
 */
import { createHash } from '../../startup/builtins.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PackageFamily } from '../../image/labels.js';
import type { Logger } from '../../log.js';
import { cacheable } from './policy.js';
import type { PackageCache } from './store.js';

export interface ProxyStats {
  /** Files answered from the cache, and their bytes. */
  hits: number;
  hitBytes: number;
  /** Files fetched from the mirror (cacheable or not), and their bytes. */
  downloads: number;
  downloadBytes: number;
  /** Downloads kept for next time. */
  stored: number;
}

export interface CacheProxy {
  /** http://127.0.0.1:PORT/ */
  url: string;
  stats: ProxyStats;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never passed on. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k.toLowerCase())));
}

export async function startCacheProxy(cache: PackageCache, family: PackageFamily, log: Logger): Promise<CacheProxy> {
  const stats: ProxyStats = { hits: 0, hitBytes: 0, downloads: 0, downloadBytes: 0, stored: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  // Entries still being renamed into place: close() waits for them, so the stats are final.
  const pending = new Set<Promise<void>>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const kind = req.method === 'GET' && !req.headers.range ? cacheable(family, url.href) : undefined;
    const upstream = http.request(url, { method: req.method, headers: { ...endToEnd(req.headers), host: url.host }, agent }, async (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
      stats.downloads++;
      const keep = kind && up.statusCode === 200 ? await cache.writer(url.href).catch(() => undefined) : undefined;
      const hash = kind?.kind === 'by-hash' ? createHash('sha256') : undefined;
      let bytes = 0;
      up.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash?.update(chunk);
        keep?.stream.write(chunk);
      });
      up.pipe(res);
      up.on('end', () => {
        stats.downloadBytes += bytes;
        if (!keep) return;
        const length = Number(up.headers['content-length'] ?? bytes);
        const whole = up.complete && length === bytes && (!hash || hash.digest('hex') === (kind as { sha256: string }).sha256);
        keep.stream.end();
        const done = (whole ? keep.commit().then(() => void stats.stored++) : keep.discard())
          .catch((err: Error) => log.debug(`package cache: ${url.href}: ${err.message}`))
          .finally(() => pending.delete(done));
        pending.add(done);
      });
      up.on('aborted', () => void keep?.discard());
      up.on('error', () => void keep?.discard());
    });
    upstream.on('error', (err) => {
      log.debug(`package cache: ${url.href}: ${err.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`racker package cache: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      // Whatever a machine sends, the probe goes on: this request fails, nothing else.
      log.debug(`package cache: ${req.url ?? ''}: ${err.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('racker package cache: internal error\n');
      else res.destroy();
    });
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('racker package cache: a proxy request needs an absolute http:// URL\n');
    }
    if (url.protocol !== 'http:') return void res.writeHead(501, { 'content-type': 'text/plain' }).end(`racker package cache: ${url.protocol} is not proxied\n`);
    if (req.method === 'GET' && !req.headers.range && cacheable(family, url.href)) {
      const hit = await cache.open(url.href).catch(() => undefined);
      if (hit) {
        stats.hits++;
        stats.hitBytes += hit.size;
        res.writeHead(200, { 'content-length': hit.size, 'content-type': 'application/octet-stream' });
        hit.stream.pipe(res);
        hit.stream.on('error', () => res.destroy());
        return;
      }
    }
    forward(req, res, url);
  };
  // No tunnels: https stays direct (only http_proxy is set), and CONNECT would let the
  // machine reach anything through this port.
  server.on('connect', (_req, socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      await Promise.all([...pending]);
    },
  };
}

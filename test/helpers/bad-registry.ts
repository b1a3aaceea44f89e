// A misbehaving registry for fault tests: a node:http(s) server on 127.0.0.1 that serves one real
// image (racker/busybox:latest, read straight from the fixture registry's storage, so the
// digests are the real ones) and injects the one fault the test has set.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { ensureFixtures, fixturesDir } from './registry.js';

export type Fault =
  | { kind: 'none' }
  /** Answer `status` to the first `times` requests for a manifest or a layer blob (every one without `times`). */
  | { kind: 'status'; status: number; on: 'manifest' | 'blob'; times?: number }
  /** A layer blob: Content-Length of the whole blob, half of the bytes, then the connection is closed. */
  | { kind: 'truncate' }
  /** A layer blob of the right length whose bytes do not match its digest. */
  | { kind: 'corrupt' }
  /** The manifest request (HEAD or GET) is accepted and never answered. */
  | { kind: 'hang-manifest' }
  /** A layer blob: headers and the first 64 KiB, then silence with the connection open. */
  | { kind: 'stall' };

export interface BadRegistryOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

export interface BadRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  port: number;
  /** The repository:tag served ("racker/busybox:latest"). */
  image: string;
  /** The manifest digest a good pull reports. */
  digest: string;
  /** The layer blob the blob faults hit, and the digest of the bytes the corrupt fault sends instead. */
  layer: { digest: string; corruptDigest: string };
  /** "METHOD path" of every request, in order. */
  hits: string[];
  setFault(fault: Fault): void;
  close(): Promise<void>;
}

const REPOSITORY = 'racker/busybox';
const TAG = 'latest';

interface Blob {
  mediaType: string;
  data: Buffer;
  layer: boolean;
}

export async function startBadRegistry(opts: BadRegistryOptions = {}): Promise<BadRegistry> {
  const { manifest, manifestType, digest, blobs } = await loadImage(REPOSITORY, TAG);
  let fault: Fault = { kind: 'none' };
  let faultHits = 0;
  const hits: string[] = [];
  const sockets = new Set<Socket>();

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push(`${req.method} ${url.pathname}`);
    res.setHeader('docker-distribution-api-version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');

    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m || m[1] !== REPOSITORY) return error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
    const [, , kind, id] = m as unknown as [string, string, 'manifests' | 'blobs', string];

    if (kind === 'manifests') {
      if (id !== TAG && id !== digest) return error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      if (fault.kind === 'hang-manifest') return; // never answered; close() destroys the socket
      if (fault.kind === 'status' && fault.on === 'manifest' && faultCounts()) return error(res, fault.status, 'FAULT', 'injected');
      res.writeHead(200, { 'content-type': manifestType, 'content-length': manifest.length, 'docker-content-digest': digest });
      return void res.end(req.method === 'HEAD' ? undefined : manifest);
    }

    const blob = blobs.get(id);
    if (!blob) return error(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    const headers = { 'content-type': 'application/octet-stream', 'content-length': blob.data.length, 'docker-content-digest': id };
    if (req.method === 'HEAD') return void res.writeHead(200, headers).end();
    if (blob.layer) {
      switch (fault.kind) {
        case 'status':
          if (fault.on === 'blob' && faultCounts()) return error(res, fault.status, 'FAULT', 'injected');
          break;
        case 'truncate':
          res.writeHead(200, headers);
          res.write(blob.data.subarray(0, blob.data.length >> 1), () => res.socket?.destroy());
          return;
        case 'corrupt':
          return void res.writeHead(200, headers).end(corrupted(blob.data));
        case 'stall':
          res.writeHead(200, headers);
          res.write(blob.data.subarray(0, 64 * 1024));
          return; // nothing more, ever
      }
    }
    res.writeHead(200, headers).end(blob.data);
  };

  /** Whether the current status fault applies to this request (and counts it). */
  function faultCounts(): boolean {
    if (fault.kind !== 'status') return false;
    return fault.times === undefined || faultHits++ < fault.times;
  }

  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // A failed TLS handshake (the client refusing our certificate) is the expected outcome of a test.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const [layerDigest, layer] = [...blobs].find(([, b]) => b.layer)!;
  return {
    host: `127.0.0.1:${port}`,
    port,
    image: `${REPOSITORY}:${TAG}`,
    digest,
    layer: { digest: layerDigest, corruptDigest: `sha256:${createHash('sha256').update(corrupted(layer.data)).digest('hex')}` },
    hits,
    setFault(f) {
      fault = f;
      faultHits = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The same length, one byte flipped in the middle. */
function corrupted(data: Buffer): Buffer {
  const bad = Buffer.from(data);
  const i = bad.length >> 1;
  bad[i] = bad[i]! ^ 0xff;
  return bad;
}

function error(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (status === 401) headers['www-authenticate'] = 'Basic realm="racker-faults"';
  res.writeHead(status, headers).end(res.req.method === 'HEAD' ? undefined : body);
}

/** The manifest and blobs of repo:tag from distribution's filesystem storage (docker/registry/v2). */
async function loadImage(repo: string, tag: string) {
  await ensureFixtures();
  const v2 = join(fixturesDir(), 'registry', 'storage', 'docker', 'registry', 'v2');
  const blobPath = (d: string) => join(v2, 'blobs', 'sha256', d.slice(7, 9), d.slice(7), 'data');
  const digest = (await fs.readFile(join(v2, 'repositories', repo, '_manifests', 'tags', tag, 'current', 'link'), 'utf8')).trim();
  const manifest = await fs.readFile(blobPath(digest));
  const doc = JSON.parse(manifest.toString()) as {
    mediaType?: string;
    config?: { digest: string; mediaType: string };
    layers?: { digest: string; mediaType: string }[];
  };
  if (!doc.config || !doc.layers) throw new Error(`${repo}:${tag} in the fixtures is not a single image manifest`);
  const blobs = new Map<string, Blob>();
  blobs.set(doc.config.digest, { mediaType: doc.config.mediaType, data: await fs.readFile(blobPath(doc.config.digest)), layer: false });
  for (const l of doc.layers) blobs.set(l.digest, { mediaType: l.mediaType, data: await fs.readFile(blobPath(l.digest)), layer: true });
  const manifestType = doc.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  return { manifest, manifestType, digest, blobs };
}

/** A self-signed certificate for `name` (and nothing else), made with openssl in a scratch dir. */
export async function selfSignedCertificate(name: string): Promise<{ cert: string; key: string }> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { tmpdir } = await import('node:os');
  const dir = await fs.mkdtemp(join(tmpdir(), 'racker-cert-'));
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    return { cert: await fs.readFile(join(dir, 'cert.pem'), 'utf8'), key: await fs.readFile(join(dir, 'key.pem'), 'utf8') };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A random name under .test (RFC 2606: never a real host). */
export function testHostName(): string {
  return `registry-${randomBytes(4).toString('hex')}.racker.test`;
}

/**
 * A `wrapper` for test/helpers/cli.ts that runs racker in a private mount namespace with
 * each [source, target] bind-mounted: e.g. an /etc/hosts where a non-loopback name points at
 * 127.0.0.1. Both node's resolver and skopeo's (Go) read /etc/hosts, and nothing outside the
 * namespace sees the change, so tests running in parallel are not affected.
 */
export function privateMounts(binds: [source: string, target: string][]): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const mounts = binds.map(([source, target]) => `mount --bind ${q(source)} ${q(target)} && `).join('');
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `${mounts}exec "$@"`, 'racker-mounts'];
}

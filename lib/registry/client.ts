/**
 * What skopeo can't tell cheaply: the registry's current manifest digest for a tag,
 * learnt with one HEAD request (plus a token round-trip when the registry asks for one),
 * over node:http(s) (see http.ts for why not got).
 * This is what lets a repeated pull say "Image is up to date" without copying anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import pRetry, { AbortError } from 'p-retry';
import { NotFoundError, RegistryError, RegistryUnreachableError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatReference, isLoopbackRegistry, registryEndpoint, type ImageReference } from './reference.js';
import type { Credentials } from './auth.js';
import { httpRequest as rawHttpRequest, HttpTimeoutError, type HttpOptions, type HttpResponse as Response } from './http.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryOptions {
  /** false: accept self-signed certificates. Loopback registries are plain HTTP regardless. */
  tlsVerify: boolean;
  credentials?: Credentials;
  /** For each request, from connecting to the last byte of the answer. */
  timeoutMs?: number;
  /** The setting that changes timeoutMs (e.g. an environment variable), named when a request times out. */
  timeoutSetting?: string;
  retries?: number;
  log?: Logger;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Where a registry's own CA certificates go: containers-certs.d(5), the first of these that
 * has a directory for the registry ("host:port", or "host" for 443) — the same lookup skopeo
 * does, so one installed CA serves both racker's requests and skopeo's copy.
 */
export const CERTS_DIRS = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/** node's bundled roots plus the registry's *.crt files; undefined when it has none (node's default). */
export function registryCAs(host: string, dirs: readonly string[] = CERTS_DIRS): string[] | undefined {
  for (const base of dirs) {
    let names: string[];
    try {
      names = readdirSync(path.join(base, host));
    } catch {
      continue;
    }
    const extra = names.filter((n) => n.endsWith('.crt')).sort().map((n) => readFileSync(path.join(base, host, n), 'utf8'));
    return extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
  }
  return undefined;
}

/** httpRequest with the registry's own CAs (certs.d) trusted on verified HTTPS. */
function httpRequest(url: string | URL, opts: HttpOptions): Promise<Response> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const ca = u.protocol === 'https:' && opts.rejectUnauthorized ? registryCAs(u.host) : undefined;
  return rawHttpRequest(u, ca ? { ...opts, ca } : opts);
}

/** What to do about a certificate racker does not trust (skopeo looks in the same place). */
export function tlsHint(registry: string): string {
  return `use --tls-verify=false if you trust this registry, or put its CA certificate in ${CERTS_DIRS[0]}/${registryEndpoint(registry)}/ca.crt`;
}

/** node's TLS error codes and messages ("self-signed certificate", "ERR_TLS_CERT_ALTNAME_INVALID", …). */
const TLS_FAILURE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i;

/**
 * A request that got no HTTP answer, as the error a user can act on. Timeouts and TLS
 * refusals are final (AbortError: retrying cannot help and would multiply the wait);
 * anything else (refused, reset, DNS) is worth a retry.
 */
export function transportError(registry: string, err: unknown, opts: Pick<RegistryOptions, 'timeoutMs' | 'timeoutSetting'>): Error {
  if (err instanceof AbortError) return err;
  if (err instanceof HttpTimeoutError) {
    const seconds = Math.round(err.timeoutMs / 100) / 10;
    return new AbortError(
      new RegistryUnreachableError(`registry ${registry} did not answer within ${seconds} s`, {
        ...(opts.timeoutSetting ? { hint: `set ${opts.timeoutSetting}=SECONDS to wait longer` } : {}),
      }),
    );
  }
  const code = (err as { code?: string }).code ?? (err as Error).message;
  if (TLS_FAILURE.test(code)) {
    const reason = (err as Error).message || code;
    return new AbortError(
      new RegistryError(`TLS verification failed for ${registry}: ${reason}`, {
        hint: tlsHint(registry),
      }),
    );
  }
  return new RegistryUnreachableError(`cannot reach registry ${registry}: ${code}`);
}

export function registryBaseUrl(registry: string): string {
  const scheme = isLoopbackRegistry(registry) ? 'http' : 'https';
  return `${scheme}://${registryEndpoint(registry)}`;
}

/** Parse `Bearer realm="…",service="…",scope="…"` (values may contain commas inside quotes). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header.slice(space + 1)))) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/**
 * One manifest request (HEAD or GET) with the registry's auth dance and racker's error
 * mapping, retried with bounded backoff. `reference` is a tag or a digest.
 */
async function manifestRequest(ref: ImageReference, reference: string, method: 'HEAD' | 'GET', opts: RegistryOptions): Promise<Response> {
  return registryRequest(ref, `manifests/${reference}`, method, MANIFEST_ACCEPT, `manifest for ${formatReference(ref)} not found: manifest unknown`, opts);
}

/** A request below /v2/REPOSITORY/ (`manifests/…`, `tags/list`); `missing`: the 404's message. */
async function registryRequest(ref: ImageReference, below: string, method: 'HEAD' | 'GET', accept: string, missing: string, opts: RegistryOptions): Promise<Response> {
  const url = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}/${below}`;
  const shown = formatReference(ref);
  const request = (authorization?: string): Promise<Response> =>
    httpRequest(url, {
      method,
      headers: { accept, ...(authorization ? { authorization } : {}) },
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      rejectUnauthorized: opts.tlsVerify,
    });

  const attempt = async (): Promise<Response> => {
    let res: Response;
    try {
      res = await request(opts.credentials ? basic(opts.credentials) : undefined);
      if (res.statusCode === 401) {
        const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
        if (challenge.scheme === 'bearer' && challenge.params.realm) {
          const token = await fetchToken(challenge.params, opts);
          res = await request(`Bearer ${token}`);
        }
      }
    } catch (err) {
      throw transportError(ref.registry, err, opts);
    }
    const status = res.statusCode;
    if (status >= 500) throw new RegistryError(`registry ${ref.registry} answered ${status} for ${shown}`);
    if (status === 401 || status === 403) {
      throw new AbortError(
        new RegistryError(`unauthorized: access to ${shown} was denied`, {
          hint: `run: racker login ${ref.registry}`,
        }),
      );
    }
    if (status === 404) {
      throw new AbortError(new NotFoundError(missing));
    }
    return res;
  };

  return pRetry(attempt, {
    retries: opts.retries ?? 3,
    minTimeout: 250,
    factor: 2,
    onFailedAttempt: (e) => {
      opts.log?.debug(`registry attempt ${e.attemptNumber} for ${shown} failed: ${e.error.message}`);
    },
  });
}

/** `pull -a`: every tag of ref's repository, as the registry lists them (sorted). */
export async function remoteTags(ref: ImageReference, opts: RegistryOptions): Promise<string[]> {
  const res = await registryRequest(ref, 'tags/list', 'GET', 'application/json', `repository ${ref.repository} not found`, opts);
  let tags: unknown;
  try {
    tags = (JSON.parse(res.body) as { tags?: unknown }).tags;
  } catch {
    tags = undefined;
  }
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && /^[\w][\w.-]{0,127}$/.test(t))) {
    throw new RegistryError(`registry ${ref.registry} sent an invalid tag list for ${ref.repository}`);
  }
  return [...tags].sort();
}

export async function remoteManifestDigest(ref: ImageReference, opts: RegistryOptions): Promise<string> {
  if (ref.digest) return ref.digest;
  const res = await manifestRequest(ref, ref.tag ?? 'latest', 'HEAD', opts);
  const digest = res.headers['docker-content-digest'];
  if (res.statusCode !== 200 || typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new RegistryError(`registry ${ref.registry} gave no manifest digest for ${formatReference(ref)} (HTTP ${res.statusCode})`);
  }
  return digest;
}

interface ManifestJson {
  manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
  config?: { size?: number };
  layers?: { digest: string; size?: number }[];
}

/** The OCI architecture name of this host (what skopeo picks from a multi-platform index). */
export function hostArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
}

export interface RemoteLayers {
  layers: { digest: string; size: number }[];
  /** Config and layers: what a copy downloads at most. */
  total: number;
}

/**
 * The layers a pull will download, with their sizes (for a progress bar): the manifest,
 * or from an index the manifest for this host's platform.
 */
export async function remoteLayers(ref: ImageReference, opts: RegistryOptions & { platform?: { architecture: string; variant?: string } }): Promise<RemoteLayers> {
  let manifest = JSON.parse((await manifestRequest(ref, ref.digest ?? ref.tag ?? 'latest', 'GET', opts)).body) as ManifestJson;
  if (manifest.manifests) {
    const arch = opts.platform?.architecture ?? hostArchitecture();
    const variant = opts.platform?.variant;
    const entry = manifest.manifests.find(
      (m) => (m.platform?.os ?? 'linux') === 'linux' && m.platform?.architecture === arch && (!variant || !m.platform.variant || m.platform.variant === variant),
    );
    if (!entry) throw new RegistryError(`no manifest for linux/${arch} in ${formatReference(ref)}`);
    manifest = JSON.parse((await manifestRequest(ref, entry.digest, 'GET', opts)).body) as ManifestJson;
  }
  const layers = (manifest.layers ?? []).map((l) => ({ digest: l.digest, size: l.size ?? 0 }));
  return { layers, total: layers.reduce((n, l) => n + l.size, 0) + (manifest.config?.size ?? 0) };
}

/**
 * The platforms a multi-platform index offers ("linux/amd64", "linux/arm/v7", …), for the
 * message when the one asked for is missing; undefined for a single-platform manifest.
 */
export async function remotePlatforms(ref: ImageReference, opts: RegistryOptions): Promise<string[] | undefined> {
  const manifest = JSON.parse((await manifestRequest(ref, ref.digest ?? ref.tag ?? 'latest', 'GET', opts)).body) as ManifestJson;
  if (!manifest.manifests) return undefined;
  return manifest.manifests
    .filter((m) => m.platform?.architecture && m.platform.architecture !== 'unknown') // attestations are "unknown/unknown"
    .map((m) => [m.platform!.os ?? 'linux', m.platform!.architecture, ...(m.platform!.variant ? [m.platform!.variant] : [])].join('/'));
}

async function fetchToken(params: Record<string, string>, opts: RegistryOptions): Promise<string> {
  const url = new URL(params.realm!);
  if (params.service) url.searchParams.set('service', params.service);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const res = await httpRequest(url, {
    headers: opts.credentials ? { authorization: basic(opts.credentials) } : {},
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rejectUnauthorized: opts.tlsVerify,
  });
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new AbortError(new RegistryError('unauthorized: the registry refused the credentials', { hint: 'run: racker login REGISTRY' }));
  }
  if (res.statusCode >= 500) throw new RegistryError(`token service answered ${res.statusCode}`);
  const body = JSON.parse(res.body) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new AbortError(new RegistryError('the registry token service returned no token'));
  return token;
}

/**
 * Check credentials the way `docker login` does: GET /v2/ with them (Basic, or a token
 * from the realm the registry names). Resolves on success, throws RegistryError otherwise.
 */
export async function checkLogin(registry: string, opts: RegistryOptions & { credentials: Credentials }): Promise<void> {
  const url = `${registryBaseUrl(registry)}/v2/`;
  const get = (authorization: string): Promise<Response> =>
    httpRequest(url, { headers: { authorization }, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, rejectUnauthorized: opts.tlsVerify });
  let res: Response;
  try {
    res = await pRetry(
      async () => {
        const r = await get(basic(opts.credentials)).catch((err: unknown) => {
          throw transportError(registry, err, opts);
        });
        if (r.statusCode >= 500) throw new RegistryError(`registry ${registry} answered ${r.statusCode}`);
        return r;
      },
      { retries: opts.retries ?? 2, minTimeout: 250 },
    );
    if (res.statusCode === 401) {
      const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
      if (challenge.scheme === 'bearer' && challenge.params.realm) {
        const { scope: _scope, ...params } = challenge.params;
        res = await get(`Bearer ${await fetchToken(params, opts)}`);
      }
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new RegistryUnreachableError(`cannot reach registry ${registry}: ${code}`);
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new RegistryError(`login to ${registry} failed: unauthorized: incorrect username or password`);
  }
  if (res.statusCode !== 200) throw new RegistryError(`login to ${registry} failed: HTTP ${res.statusCode}`);
}

/**
 * What skopeo can't tell cheaply: the registry's current manifest digest for a tag,
 * learnt with one HEAD request (plus a token round-trip when the registry asks for one),
 * over node:http(s) (see http.ts for why not got).
 * This is what lets a repeated pull say "Image is up to date" without copying anything.
 */
import pRetry, { AbortError } from 'p-retry';
import { NotFoundError, RegistryError, RegistryUnreachableError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatReference, isLoopbackRegistry, registryEndpoint, type ImageReference } from '../image/reference.js';
import type { Credentials } from './auth.js';
import { httpRequest, type HttpResponse as Response } from './http.js';

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
  timeoutMs?: number;
  retries?: number;
  log?: Logger;
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

export async function remoteManifestDigest(ref: ImageReference, opts: RegistryOptions): Promise<string> {
  if (ref.digest) return ref.digest;
  const url = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}/manifests/${ref.tag ?? 'latest'}`;
  const shown = formatReference(ref);
  const request = (authorization?: string): Promise<Response> =>
    httpRequest(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) },
      timeoutMs: opts.timeoutMs ?? 15000,
      rejectUnauthorized: opts.tlsVerify,
    });

  const attempt = async (): Promise<string> => {
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
      if (err instanceof AbortError) throw err;
      const code = (err as { code?: string }).code ?? (err as Error).message;
      if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
        throw new AbortError(
          new RegistryError(`TLS verification failed for ${ref.registry}: ${code}`, {
            hint: 'use --tls-verify=false if you trust this registry',
          }),
        );
      }
      throw new RegistryUnreachableError(`cannot reach registry ${ref.registry}: ${code}`);
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
      throw new AbortError(new NotFoundError(`manifest for ${shown} not found: manifest unknown`));
    }
    const digest = res.headers['docker-content-digest'];
    if (status !== 200 || typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
      throw new AbortError(new RegistryError(`registry ${ref.registry} gave no manifest digest for ${shown} (HTTP ${status})`));
    }
    return digest;
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

async function fetchToken(params: Record<string, string>, opts: RegistryOptions): Promise<string> {
  const url = new URL(params.realm!);
  if (params.service) url.searchParams.set('service', params.service);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const res = await httpRequest(url, {
    headers: opts.credentials ? { authorization: basic(opts.credentials) } : {},
    timeoutMs: opts.timeoutMs ?? 15000,
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
    httpRequest(url, { headers: { authorization }, timeoutMs: opts.timeoutMs ?? 15000, rejectUnauthorized: opts.tlsVerify });
  let res: Response;
  try {
    res = await pRetry(
      async () => {
        const r = await get(basic(opts.credentials));
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

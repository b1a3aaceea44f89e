/**
 * One small HTTP request with node:http(s), for the registry calls on the hot path of every
 * pull (the manifest HEAD, a token). got's module graph took ~150 ms to import here — half a
 * warm pull — so it is kept for downloads, where it earns its weight.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  timeoutMs: number;
  /** false: accept self-signed certificates. */
  rejectUnauthorized: boolean;
  /** Trusted CA certificates (PEM) replacing node's bundled list, e.g. with a registry's own CA added. */
  ca?: string[];
}

/** The error a request fails with when timeoutMs has passed; code as node's own socket timeouts. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

const MAX_BODY = 1 << 20;

export function httpRequest(url: string | URL, opts: HttpOptions): Promise<HttpResponse> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const client = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        ...(u.protocol === 'https:' ? { rejectUnauthorized: opts.rejectUnauthorized, ...(opts.ca ? { ca: opts.ca } : {}) } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        res.on('end', () => done(() => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body })));
        res.on('error', (err) => done(() => reject(err)));
      },
    );
    // A deadline for the whole exchange, not socket idleness (req.setTimeout): a registry that
    // accepts the connection and then trickles or withholds its answer must not hold a pull.
    const timer = setTimeout(() => {
      const err = new HttpTimeoutError(opts.timeoutMs);
      done(() => reject(err));
      req.destroy(err);
    }, opts.timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      settle();
    };
    req.on('error', (err) => done(() => reject(err)));
    req.end();
  });
}

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
}

const MAX_BODY = 1 << 20;

export function httpRequest(url: string | URL, opts: HttpOptions): Promise<HttpResponse> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const client = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(u.protocol === 'https:' ? { rejectUnauthorized: opts.rejectUnauthorized } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error(`timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

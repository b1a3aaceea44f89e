/**
 * Downloading a file over http(s) with got, retried with p-retry: server errors and broken
 * connections are retried, 4xx answers are final. Used by `racker import URL` and by
 * postroj's --package URL. Loaded only when something is downloaded (got is heavy).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Meter } from '../progress.js';
import { redactUrl } from './redact-url.js';

/** Where a URL is shown: its credentials never (re-exported for import's callers). */
export { redactUrl };

export interface DownloadOptions {
  log?: Logger;
  /** "Downloading N MB of M MB" every 8 MB. */
  progress?: (line: string) => void;
  /** Every progress event, for a bar; when given, the lines above are not printed. */
  meter?: Meter;
  retries?: number;
}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const [{ default: got }, { default: pRetry, AbortError }] = await Promise.all([import('got'), import('p-retry')]);
  const shown = redactUrl(url);
  await pRetry(
    async () => {
      let lastReport = 0;
      const stream = got.stream(url, { retry: { limit: 0 }, timeout: { request: 10 * 60_000, response: 30_000 } });
      stream.on('downloadProgress', (p: { transferred: number; total?: number }) => {
        if (opts.meter) return opts.meter('Downloading', p.transferred, p.total);
        if (!opts.progress || p.transferred - lastReport < 8e6) return;
        lastReport = p.transferred;
        opts.progress(`Downloading ${Math.round(p.transferred / 1e6)} MB${p.total ? ` of ${Math.round(p.total / 1e6)} MB` : ''}`);
      });
      try {
        await pipeline(stream, createWriteStream(dest));
      } catch (err) {
        const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
        if (status && status < 500) throw new AbortError(new RegistryError(`download of ${shown} failed: HTTP ${status}`));
        throw new RegistryError(`download of ${shown} failed: ${status ? `HTTP ${status}` : (err as Error).message}`);
      }
    },
    {
      retries: opts.retries ?? 3,
      minTimeout: 300,
      onFailedAttempt: ({ error, attemptNumber }) => opts.log?.debug(`download attempt ${attemptNumber}: ${error.message}`),
    },
  );
}

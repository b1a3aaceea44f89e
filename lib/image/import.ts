/**
 * racker import: a root filesystem tarball (file or URL) becomes an image, like
 * `docker import`. Extraction refuses entries that would escape the root (extract.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../context.js';
import { NotFoundError, RegistryError } from '../errors.js';
import { extractRootfs } from './extract.js';
import { formatReference, parseReference } from './reference.js';
import { retag } from './pull.js';
import { cleanScratch } from './scratch.js';
import { commitImage, hasSystemd, scratchDir, treeSize } from './store.js';

export interface ImportOptions {
  progress?: (line: string) => void;
  retries?: number;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export async function importImage(ctx: Context, source: string, name: string | undefined, opts: ImportOptions = {}): Promise<string> {
  // Validate the name before doing any work.
  const key = name ? formatReference(parseReference(name)) : undefined;
  await cleanScratch(ctx.paths);
  const dir = await scratchDir(ctx.paths, 'import');
  try {
    let file = source;
    if (isUrl(source)) {
      file = path.join(dir, 'download');
      await download(ctx, source, file, opts);
    } else {
      await fs.access(source).catch(() => {
        throw new NotFoundError(`open ${source}: no such file or directory`);
      });
    }
    const digest = await sha256File(file);
    const rootfs = path.join(dir, 'rootfs');
    await fs.mkdir(rootfs);
    let reported = 0;
    await extractRootfs(file, rootfs, {
      // A line per 50 MB read: progress for big imports, silence for small ones.
      onProgress: (bytes) => {
        if (!opts.progress || bytes - reported < 50e6) return;
        reported = bytes;
        opts.progress(`Extracting: ${Math.round(bytes / 1e6)} MB read`);
      },
    });
    if (file !== source) await fs.rm(file);
    const created = ctx.clock().toISOString();
    const id = `sha256:${createHash('sha256').update(JSON.stringify({ layer: digest, created })).digest('hex')}`;
    await commitImage(ctx.paths, dir, {
      id,
      created,
      size: await treeSize(rootfs),
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      origin: { kind: 'import', source: isUrl(source) ? redactUrl(source) : path.resolve(source) },
      systemd: hasSystemd(rootfs),
    });
    if (key) await retag(ctx, key, { id, updated: created });
    return id;
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** URLs may carry user:password@; never store or print that part. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url;
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest('hex')}`;
}

async function download(ctx: Context, url: string, dest: string, opts: ImportOptions): Promise<void> {
  const [{ default: got }, { default: pRetry, AbortError }] = await Promise.all([import('got'), import('p-retry')]);
  const shown = redactUrl(url);
  await pRetry(
    async () => {
      let lastReport = 0;
      const stream = got.stream(url, { retry: { limit: 0 }, timeout: { request: 10 * 60_000, response: 30_000 } });
      stream.on('downloadProgress', (p: { transferred: number; total?: number }) => {
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
      onFailedAttempt: ({ error, attemptNumber }) => ctx.log.debug(`download attempt ${attemptNumber}: ${error.message}`),
    },
  );
}

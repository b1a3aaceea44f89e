/**
 * racker import: a root filesystem tarball (file or URL) becomes an image, like
 * `docker import`. Extraction refuses entries that would escape the root (extract.ts).
 */
import { createHash } from '../startup/builtins.js';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../context.js';
import type { Meter } from '../progress.js';
import { NotFoundError } from '../errors.js';
import { downloadFile, redactUrl } from '../registry/download.js';
import { applyChanges } from './changes.js';
import { extractRootfs } from './extract.js';
import { formatReference, parseReference } from '../registry/reference.js';
import { cleanScratch } from './scratch.js';
import { commitImage, hasSystemd, retag, scratchDir, treeSize } from './store.js';
import { emit } from '../events/log.js';
import { crashPoint } from '../state/crash-point.js';
import { hostPlatform } from './platform.js';

export interface ImportOptions {
  progress?: (line: string) => void;
  /** Byte progress for a bar (download, then extraction); replaces the plain progress lines. */
  meter?: Meter;
  retries?: number;
  /** Dockerfile instructions for the config (`docker import -c`, the API's `changes`): changes.ts. */
  changes?: readonly string[];
  /** `docker import -m`: the history's comment. */
  message?: string;
  /** How the source is recorded when `source` is a scratch file (the API's request body). */
  sourceName?: string;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export async function importImage(ctx: Context, source: string, name: string | undefined, opts: ImportOptions = {}): Promise<string> {
  // Validate the name before doing any work.
  const key = name ? formatReference(parseReference(name)) : undefined;
  // And the changes: a bad instruction is refused before the tarball is read.
  const config = applyChanges({ Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, opts.changes ?? []);
  await cleanScratch(ctx.paths);
  const dir = await scratchDir(ctx.paths, 'import');
  try {
    let file = source;
    if (isUrl(source)) {
      file = path.join(dir, 'download');
      await downloadFile(source, file, { log: ctx.log, ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.meter ? { meter: opts.meter } : {}), ...(opts.retries !== undefined ? { retries: opts.retries } : {}) });
    } else {
      await fs.access(source).catch(() => {
        throw new NotFoundError(`open ${source}: no such file or directory`);
      });
    }
    const digest = await sha256File(file);
    const rootfs = path.join(dir, 'rootfs');
    await fs.mkdir(rootfs);
    let reported = 0;
    const size = opts.meter ? (await fs.stat(file)).size : 0;
    await extractRootfs(file, rootfs, {
      // A line per 50 MB read: progress for big imports, silence for small ones.
      onProgress: (bytes) => {
        if (opts.meter) return opts.meter('Extracting', bytes, size);
        if (!opts.progress || bytes - reported < 50e6) return;
        reported = bytes;
        opts.progress(`Extracting: ${Math.round(bytes / 1e6)} MB read`);
      },
    });
    crashPoint('import:extracted');
    if (file !== source) await fs.rm(file);
    const created = ctx.clock().toISOString();
    const id = `sha256:${createHash('sha256').update(JSON.stringify({ layer: digest, created })).digest('hex')}`;
    await commitImage(ctx.paths, dir, {
      id,
      created,
      size: await treeSize(rootfs),
      architecture: hostPlatform().architecture,
      os: 'linux',
      config,
      origin: { kind: 'import', source: opts.sourceName ?? (isUrl(source) ? redactUrl(source) : path.resolve(source)), ...(opts.message ? { comment: opts.message } : {}) },
      systemd: hasSystemd(rootfs),
    });
    crashPoint('import:stored');
    if (key) await retag(ctx, key, { id, updated: created });
    emit(ctx, { type: 'image', action: 'import', id, attributes: { name: id } });
    return id;
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest('hex')}`;
}

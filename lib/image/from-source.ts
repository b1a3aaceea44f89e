/**
 * An image from a source that is not a registry (source.ts classifies it): a rootfs tarball
 * by URL or path (imported by import.ts), a directory (used in place), or a docker-archive /
 * OCI archive / OCI layout (read by load.ts). Each is kept under its own tag key
 * `localhost/source/<hash>:latest` whose tag entry records the source and how to tell it is
 * unchanged (see SourceEntry in store.ts), so the next run reuses it:
 * - a URL: a conditional request with the stored ETag / Last-Modified; 304 → reuse; a 200 whose
 *   content has the stored digest → reuse too;
 * - a file: the same size and mtime → reuse without reading it; otherwise its digest decides;
 * - an OCI layout directory: its index.json's size and mtime;
 * - a directory: always itself (images/<id>/rootfs is a link to it, nothing is copied).
 * `pull: always` fetches/reads again; `never` uses only what is cached. At most
 * RACKER_SOURCE_CACHE (default 10) sources are kept: the least recently used unused one goes.
 */
import { createHash } from '../startup/builtins.js';
import { createReadStream, createWriteStream, promises as fs, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../context.js';
import { NotFoundError, RackerError, UsageError, errorMessage } from '../errors.js';
import { ContainerRoot } from '../fs/in-root.js';
import { withLock } from '../state/lock.js';
import { redactUrl } from '../registry/download.js';
import { importImage, sha256File } from './import.js';
import { resolveImageName } from './names.js';
import { removeImage } from './remove.js';
import { cleanScratch } from './scratch.js';
import { sourceKey, sourceText, type LocalSource } from './source.js';
import { commitImage, hasSystemd, imageExists, nameLock, readImage, readTags, retag, scratchDir, updateTags, writeImageRecord, type ImageRecord, type SourceEntry } from './store.js';
import { hostPlatform } from './platform.js';

export interface SourceOptions {
  policy?: 'always' | 'missing' | 'never';
  status?: (line: string) => void;
}

export interface SourceResult {
  key: string;
  record: ImageRecord;
  /** A new image was stored (not the cached one). */
  updated: boolean;
}

const DEFAULT_CACHE = 10;

export async function imageFromSource(ctx: Context, s: LocalSource, o: SourceOptions = {}): Promise<SourceResult> {
  const key = sourceKey(s);
  const policy = o.policy ?? 'missing';
  const result = await withLock(ctx.paths.lock(nameLock(key)), async () => {
    const cached = (await readTags(ctx.paths))[key];
    const cachedImage = cached?.source && imageExists(ctx.paths, cached.id) ? cached : undefined;
    const reuse = async (changes: Partial<SourceEntry> = {}): Promise<SourceResult> => {
      const source = { ...cachedImage!.source!, ...changes, used: ctx.clock().toISOString() };
      await updateTags(ctx.paths, (tags) => {
        if (tags[key]) tags[key] = { ...tags[key], source };
      });
      return { key, record: (await readImage(ctx.paths, cachedImage!.id))!, updated: false };
    };
    if (policy === 'never' && s.kind !== 'directory') {
      if (cachedImage) return reuse();
      throw new NotFoundError(`No such image: ${sourceText(s)} (not cached, and --pull never)`);
    }
    switch (s.kind) {
      case 'directory':
        return directoryImage(ctx, s.path, key);
      case 'url':
        return urlImage(ctx, s.url, key, cachedImage?.source, policy === 'always', reuse, o);
      case 'tarball': {
        const st = await statSource(s.path);
        if (st.isDirectory()) throw new UsageError(`${s.path} is a directory, not a tarball`);
        const known = cachedImage?.source;
        // --pull always reads it again; the same content is still the same image.
        if (policy === 'missing' && known && known.size === st.size && known.mtimeMs === st.mtimeMs) return reuse();
        const digest = await sha256File(s.path);
        if (known?.digest === digest) return reuse({ size: st.size, mtimeMs: st.mtimeMs });
        const id = await importImage(ctx, s.path, undefined, { progress: o.status });
        return store(ctx, key, id, { text: s.path, kind: 'tarball', size: st.size, mtimeMs: st.mtimeMs, digest });
      }
      case 'transport': {
        const st = await statSource(s.path);
        const marker = s.transport === 'oci' ? await statSource(path.join(s.path, 'index.json')) : st;
        if (s.transport === 'oci' ? !st.isDirectory() : !st.isFile()) throw new UsageError(`${s.path} is not ${s.transport === 'oci' ? 'an OCI layout directory' : 'an archive file'}`);
        const known = policy === 'missing' ? cachedImage?.source : undefined;
        if (known && known.size === marker.size && known.mtimeMs === marker.mtimeMs) return reuse();
        // Lazy: load.ts brings the tar parser, needed only for archive sources.
        const [loaded] = await (await import('./load.js')).loadImages(ctx, await archiveStream(s.path, s.transport), (images) => pickImage(images, s, key));
        return store(ctx, key, loaded!.id, { text: sourceText(s), kind: s.transport, size: marker.size, mtimeMs: marker.mtimeMs });
      }
    }
  });
  if (result.updated) await boundCache(ctx, key);
  return result;
}

async function statSource(p: string): Promise<Stats> {
  return fs.stat(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new RackerError(`${p}: no such file or directory`);
    throw new RackerError(`${p}: ${errorMessage(err)}`);
  });
}

async function store(ctx: Context, key: string, id: string, source: Omit<SourceEntry, 'used'>): Promise<SourceResult> {
  const now = ctx.clock().toISOString();
  await retag(ctx, key, { id, updated: now, source: { ...source, used: now } });
  return { key, record: (await readImage(ctx.paths, id))!, updated: true };
}

/** A root filesystem has its programs somewhere: /bin or /usr/bin, asked inside it. */
function looksLikeRootfs(dir: string): boolean {
  return ContainerRoot.with(dir, (root) => ['/bin', '/usr/bin', '/sbin'].some((p) => root.statOrNothing(p)?.isDirectory() === true));
}

async function directoryImage(ctx: Context, dir: string, key: string): Promise<SourceResult> {
  const real = realpathSync(dir);
  if (!looksLikeRootfs(real)) throw new UsageError(`${dir} is not a root filesystem (it has no /bin, /usr/bin or /sbin)`);
  if (real.startsWith(path.resolve(ctx.paths.images) + path.sep) || real === path.resolve(ctx.paths.images)) {
    throw new UsageError(`${dir} is inside racker's image store`);
  }
  const id = `sha256:${createHash('sha256').update(`directory ${real}`).digest('hex')}`;
  const systemd = hasSystemd(real);
  const existing = await readImage(ctx.paths, id);
  const entry = { text: dir, kind: 'directory' as const };
  if (existing) {
    // The tree may have changed since (systemd installed or removed): boot follows what it is now.
    if (existing.systemd !== systemd) await writeImageRecord(ctx.paths, { ...existing, systemd });
    const now = ctx.clock().toISOString();
    await retag(ctx, key, { id, updated: (await readTags(ctx.paths))[key]?.updated ?? now, source: { ...entry, used: now } });
    return { key, record: { ...existing, systemd }, updated: false };
  }
  await cleanScratch(ctx.paths);
  const scratch = await scratchDir(ctx.paths, 'directory');
  try {
    // The overlay's lower layer is the directory itself, through this link: nothing copied.
    await fs.symlink(real, path.join(scratch, 'rootfs'));
    await commitImage(ctx.paths, scratch, {
      id,
      created: ctx.clock().toISOString(),
      // Not measured: walking a big tree would cost what using it in place saves.
      size: 0,
      architecture: hostPlatform().architecture,
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      origin: { kind: 'directory', path: real },
      systemd,
    });
  } catch (err) {
    await fs.rm(scratch, { recursive: true, force: true });
    throw err;
  }
  return store(ctx, key, id, entry);
}

async function urlImage(
  ctx: Context,
  url: string,
  key: string,
  known: SourceEntry | undefined,
  /** --pull always: no conditional request (the content's digest still spares an import). */
  unconditional: boolean,
  reuse: (changes?: Partial<SourceEntry>) => Promise<SourceResult>,
  o: SourceOptions,
): Promise<SourceResult> {
  const shown = redactUrl(url);
  const { default: got } = await import('got');
  const headers: Record<string, string> = {};
  if (known?.etag && !unconditional) headers['if-none-match'] = known.etag;
  if (known?.lastModified && !unconditional) headers['if-modified-since'] = known.lastModified;
  await cleanScratch(ctx.paths);
  const dir = await scratchDir(ctx.paths, 'source');
  try {
    const file = path.join(dir, 'download');
    let status = 0;
    let validators: Partial<SourceEntry> = {};
    // As import's downloads: a server error or a broken connection is tried again (3 times), a 4xx is final.
    const { default: pRetry, AbortError } = await import('p-retry');
    await pRetry(
      async () => {
        const stream = got.stream(url, { headers, retry: { limit: 0 }, timeout: { request: 10 * 60_000, response: 30_000 } });
        stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
          status = res.statusCode;
          const etag = res.headers.etag;
          const modified = res.headers['last-modified'];
          validators = { ...(typeof etag === 'string' ? { etag } : {}), ...(typeof modified === 'string' ? { lastModified: modified } : {}) };
        });
        try {
          await pipeline(stream, createWriteStream(file));
        } catch (err) {
          const res = (err as { response?: { statusCode?: number; statusMessage?: string } }).response;
          if (!res?.statusCode) throw new RackerError(`download of ${shown} failed: ${errorMessage(err)}`);
          const failed = new RackerError(`download of ${shown} failed: HTTP ${res.statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
          throw res.statusCode < 500 ? new AbortError(failed) : failed;
        }
      },
      { retries: 3, minTimeout: 300, onFailedAttempt: ({ error, attemptNumber }) => ctx.log.debug(`download attempt ${attemptNumber}: ${error.message}`) },
    );
    if (status === 304 && known) return await reuse(validators);
    const digest = await sha256File(file);
    if (known?.digest === digest) return await reuse({ ...validators, digest });
    const id = await importImage(ctx, file, undefined, { progress: o.status, sourceName: shown });
    return await store(ctx, key, id, { text: shown, kind: 'url', digest, ...validators });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function archiveStream(p: string, transport: 'docker-archive' | 'oci-archive' | 'oci'): Promise<Readable> {
  if (transport !== 'oci') return createReadStream(p);
  // An OCI layout directory is read as the OCI archive it would be, so load.ts checks it the same way.
  const tar = await import('tar');
  return tar.c({ cwd: p, portable: true }, ['.']) as unknown as Readable;
}

function sameName(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return resolveImageName(a).key === resolveImageName(b).key;
  } catch {
    return false;
  }
}

function pickImage(images: readonly { names: readonly string[]; refs: readonly string[] }[], s: Extract<LocalSource, { kind: 'transport' }>, key: string): { index: number; key: string } {
  const where = `${s.transport}:${s.path}`;
  if (s.ref !== undefined) {
    const index = images.findIndex((i) => i.refs.some((r) => sameName(r, s.ref!)));
    if (index < 0) throw new NotFoundError(`${where} has no image ${s.ref}`);
    return { index, key };
  }
  if (images.length !== 1) throw new UsageError(`${where} holds ${images.length} images: name one as ${where}:REFERENCE`);
  return { index: 0, key };
}

/** Keep at most RACKER_SOURCE_CACHE sources: drop the least recently used that no container uses. */
async function boundCache(ctx: Context, keep: string): Promise<void> {
  const raw = ctx.env.RACKER_SOURCE_CACHE;
  const max = raw && /^[0-9]+$/.test(raw) ? Number(raw) : DEFAULT_CACHE;
  const tags = await readTags(ctx.paths);
  const sources = Object.entries(tags)
    .filter(([k, e]) => e.source && k !== keep)
    .sort(([, a], [, b]) => a.source!.used.localeCompare(b.source!.used));
  let excess = sources.length + 1 - Math.max(max, 1);
  for (const [k] of sources) {
    if (excess <= 0) break;
    try {
      await removeImage(ctx, k);
      excess--;
    } catch (err) {
      ctx.log.debug(`source cache: keeping ${k}: ${errorMessage(err)}`);
    }
  }
}

/** `racker system prune`: every cached source no container uses. The untagged keys. */
export async function pruneSources(ctx: Context): Promise<string[]> {
  const tags = await readTags(ctx.paths);
  const gone: string[] = [];
  for (const [k, e] of Object.entries(tags)) {
    if (!e.source) continue;
    try {
      await removeImage(ctx, k);
      gone.push(`${k} (${e.source.text})`);
    } catch (err) {
      ctx.log.debug(`system prune: keeping ${k}: ${errorMessage(err)}`);
    }
  }
  return gone;
}

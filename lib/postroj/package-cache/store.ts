/**
 * The package cache on disk: paths.packageCache/<key>/<entry>, one file per kept download
 * (policy.ts names them). Shared by every probe of this racker root at once, without a lock
 * on the hot path: an entry is written to a private temporary file and renamed into place
 * (readers see the whole file or none; two probes storing the same URL store the same
 * bytes, the last rename wins), and a reader keeps the descriptor it opened, so an entry
 * evicted meanwhile is still read whole. Eviction and clearing take racker's
 * `package-cache` lock, so only one process decides what goes.
 */
import { randomBytes } from '../../startup/builtins.js';
import { createWriteStream, promises as fs, type ReadStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../../state/paths.js';
import { withLock } from '../../state/lock.js';
import { processAlive } from '../../exec/procfs.js';
import { chooseEvictions, entryName, type CacheEntry } from './policy.js';

const TMP = '.tmp';

export class PackageCache {
  constructor(
    readonly paths: Paths,
    readonly key: string,
  ) {}

  get dir(): string {
    return path.join(this.paths.packageCache, this.key);
  }

  /** The entry for `url` opened for reading, and marked as just used; undefined on a miss. */
  async open(url: string): Promise<{ stream: ReadStream; size: number } | undefined> {
    const file = path.join(this.dir, entryName(url));
    const handle = await fs.open(file, 'r').catch(() => undefined);
    if (!handle) return undefined;
    const st = await handle.stat();
    const now = new Date();
    await fs.utimes(file, now, now).catch(() => undefined); // LRU: last use is the mtime
    return { stream: handle.createReadStream(), size: st.size };
  }

  /**
   * A writer for `url`'s entry: bytes go to a temporary file; commit() renames it into place,
   * discard() deletes it. Nothing is visible under the entry's name until commit.
   */
  async writer(url: string): Promise<{ stream: WriteStream; commit(): Promise<void>; discard(): Promise<void> }> {
    const tmpDir = path.join(this.paths.packageCache, TMP);
    await fs.mkdir(tmpDir, { recursive: true });
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const stream = createWriteStream(tmp, { mode: 0o644 });
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    return {
      stream,
      commit: async () => {
        await closed;
        await fs.mkdir(this.dir, { recursive: true }); // a prune may have removed it meanwhile
        await fs.rename(tmp, path.join(this.dir, entryName(url)));
      },
      discard: async () => {
        stream.destroy();
        await closed;
        await fs.rm(tmp, { force: true });
      },
    };
  }
}

/** Every entry of every key, with its size and last use. */
async function listEntries(root: string): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const key of await fs.readdir(root).catch(() => [] as string[])) {
    if (key === TMP) continue;
    const dir = path.join(root, key);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const st = await fs.lstat(path.join(dir, name)).catch(() => undefined);
      if (st?.isFile()) entries.push({ path: path.join(dir, name), size: st.size, usedMs: st.mtimeMs });
    }
  }
  return entries;
}

/** Temporary files of processes that are gone (a probe killed while downloading). */
async function removeDeadTemporaries(root: string): Promise<void> {
  const tmpDir = path.join(root, TMP);
  for (const name of await fs.readdir(tmpDir).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) await fs.rm(path.join(tmpDir, name), { force: true });
  }
}

/** Bring the whole cache within `limit` bytes, least recently used first. Returns what went. */
export async function evictPackages(paths: Paths, limit: number): Promise<CacheEntry[]> {
  return withLock(paths.lock('package-cache'), async () => {
    await removeDeadTemporaries(paths.packageCache);
    const victims = chooseEvictions(await listEntries(paths.packageCache), limit);
    for (const v of victims) await fs.rm(v.path, { force: true });
    return victims;
  });
}

/** Empty the cache (`racker system prune`): how many files and bytes went. */
export async function clearPackageCache(paths: Paths): Promise<{ files: number; bytes: number }> {
  return withLock(paths.lock('package-cache'), async () => {
    const entries = await listEntries(paths.packageCache);
    for (const e of entries) await fs.rm(e.path, { force: true });
    await removeDeadTemporaries(paths.packageCache);
    // Empty key directories go too (a probe writing right now recreates its own).
    for (const key of await fs.readdir(paths.packageCache).catch(() => [] as string[])) {
      if (key !== TMP) await fs.rmdir(path.join(paths.packageCache, key)).catch(() => undefined);
    }
    return { files: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0) };
  });
}

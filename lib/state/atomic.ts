/**
 * Atomic file writes and tolerant reads: a reader sees the old file or the new one,
 * never half of either, even if racker is killed mid-write.
 */
import { randomBytes } from '../startup/builtins.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { crashPoint } from './crash-point.js';

export interface WriteOptions {
  mode?: number;
  /**
   * fsync the file and its directory (default). false: still atomic for readers, but after a
   * power loss the file may be empty: for state a crash makes meaningless anyway.
   */
  durable?: boolean;
}

export async function writeFileAtomic(file: string, data: string | Buffer, opts: WriteOptions | number = {}): Promise<void> {
  const { mode = 0o644, durable = true } = typeof opts === 'number' ? { mode: opts } : opts;
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  crashPoint(`write:${path.basename(file)}`);
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (durable) await syncDir(dir);
}

/** What writeFileAtomic names its temporary: `.NAME.tmp-PID-HEX` beside the file. */
const TEMPORARY = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Trees that hold no state file of racker's own (image and container contents, blobs): never walked. */
const CONTENT_DIRS = new Set(['rootfs', 'upper', 'work', 'blobs', '_data', 'tmp']);

/**
 * Temporaries of atomic writes whose writer died between the write and the rename (kill -9,
 * a power cut): the old file is intact beside them, and nothing will ever rename them. Looked
 * for in racker's state directories (`dir` and three levels below, not into contents).
 */
export async function deadTemporaries(dir: string, alive: (pid: number) => boolean, depth = 3): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0 && !CONTENT_DIRS.has(e.name)) found.push(...(await deadTemporaries(p, alive, depth - 1)));
    const m = e.isFile() ? TEMPORARY.exec(e.name) : null;
    if (m && !alive(Number(m[1]))) found.push(p);
  }
  return found;
}

/** The rename itself must reach the disk too; best effort (some filesystems refuse). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* not all filesystems allow fsync on a directory */
  }
}

/** JSON read that treats a missing file as `fallback`. */
export async function readJson<T>(file: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  return JSON.parse(text) as T;
}

export async function writeJsonAtomic(file: string, value: unknown, opts?: WriteOptions | number): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, opts);
}

/**
 * Atomic file writes and tolerant reads: a reader sees the old file or the new one,
 * never half of either, even if racker is killed mid-write.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

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
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (durable) await syncDir(dir);
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

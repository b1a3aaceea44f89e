/**
 * Inter-process locks as files holding "PID STARTTIME". A lock whose owner is gone
 * (killed -9, machine rebooted: /run is a tmpfs) is stale and taken over, so a crash
 * never wedges the store. PID reuse is caught by comparing the process start time.
 */
import { randomBytes } from '../startup/builtins.js';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';

export interface LockOptions {
  /** Give up after this long (default: wait forever, like a second `docker pull` does). */
  timeoutMs?: number;
  /** Called once when the lock is busy, e.g. to say what we are waiting for. */
  onWait?: () => void;
  pollMs?: number;
}

export interface Lock {
  release(): Promise<void>;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so split after ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const myIdentity = `${process.pid} ${startTime(process.pid) ?? '0'}\n`;

export function isOwnerAlive(content: string): boolean {
  const [pidText, start] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const actual = startTime(pid);
  return actual !== undefined && actual === start;
}

async function tryCreate(file: string): Promise<boolean> {
  // Write the identity to a private file first and hard-link it into place, so the
  // lock file is never visible half-written.
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, myIdentity);
  try {
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Remove the lock if its owner is dead. Returns true if the caller should retry at once
 * (also when the lock was gone already). Exported for `system prune`.
 */
export async function breakIfStale(file: string): Promise<boolean> {
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (isOwnerAlive(content)) return false;
  // Move it aside before deleting: if another process replaced the stale lock with a
  // live one in the meantime, we notice and put it back.
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => '');
  if (moved !== content && isOwnerAlive(moved)) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true });
  return true;
}

export async function acquireLock(file: string, opts: LockOptions = {}): Promise<Lock> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const started = Date.now();
  let waited = false;
  let delay = opts.pollMs ?? 20;
  for (;;) {
    if (await tryCreate(file)) {
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await fs.rm(file, { force: true });
        },
      };
    }
    if (await breakIfStale(file)) continue;
    if (!waited) {
      waited = true;
      opts.onWait?.();
    }
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
      throw new RackerError(`timed out waiting for lock ${path.basename(file)}`, {
        hint: `another racker process holds ${file}`,
      });
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

export async function withLock<T>(file: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  const lock = await acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

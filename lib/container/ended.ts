/**
 * The exit codes of --rm containers, kept a short while after their removal: an `attach`,
 * `start -a` or `wait` that began before the end still reports the command's code, as
 * docker's do (dockerd remembers it for the waiters it has; racker has no daemon, so a file).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import type { Paths } from '../state/paths.js';

/** Long enough for any waiter that was already polling; old notes go when the next is written. */
const KEEP_MS = 10 * 60_000;

interface Ended {
  exitCode: number;
  at: string;
}

export async function noteEnded(paths: Paths, id: string, exitCode: number, now: Date): Promise<void> {
  const file = paths.endedContainer(id);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, { exitCode, at: now.toISOString() } satisfies Ended, { durable: false });
  await forgetOld(path.dirname(file), now.getTime() - KEEP_MS);
}

async function forgetOld(dir: string, before: number): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (st && st.mtimeMs < before) await fs.rm(file, { force: true });
  }
}

/** The exit code of a removed --rm container, if it ended lately. */
export async function endedExitCode(paths: Paths, id: string): Promise<number | undefined> {
  const ended = await readJson<Ended | undefined>(paths.endedContainer(id), undefined);
  return typeof ended?.exitCode === 'number' ? ended.exitCode : undefined;
}

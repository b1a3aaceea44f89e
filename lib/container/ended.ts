/**
 * The exit codes of --rm containers, kept a short while after their removal: an `attach`,
 * `start -a` or `wait` that began before the end still reports the command's code, as
 * docker's do (dockerd remembers it for the waiters it has; racker has no daemon, so a file).
 * One small file for all of them, so that many short-lived containers leave no trail of files.
 */
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import type { Paths } from '../state/paths.js';

/** Long enough for any waiter that was already polling; older notes go when the next is written. */
const KEEP_MS = 10 * 60_000;

type Ended = Record<string, { exitCode: number; at: number }>;

export async function noteEnded(paths: Paths, id: string, exitCode: number, now: Date): Promise<void> {
  await withLock(paths.lock('ended'), async () => {
    const kept = Object.entries(await readJson<Ended>(paths.endedContainers, {})).filter(([, e]) => e.at > now.getTime() - KEEP_MS);
    await writeJsonAtomic(paths.endedContainers, { ...Object.fromEntries(kept), [id]: { exitCode, at: now.getTime() } }, { durable: false });
  });
}

/** The exit code of a removed --rm container, if it ended lately. */
export async function endedExitCode(paths: Paths, id: string): Promise<number | undefined> {
  const ended = (await readJson<Ended>(paths.endedContainers, {}).catch(() => ({}) as Ended))[id];
  return typeof ended?.exitCode === 'number' ? ended.exitCode : undefined;
}

/**
 * racker start: run a stopped container again, in the background. Its upper layer (every
 * file it changed) was kept when it stopped, so this is the same machine booting again.
 */
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { reapOrphan } from './control.js';
import { startDetached } from './detached.js';
import { findContainer, liveState, readContainer, writeContainer, type ContainerRecord } from './record.js';

/** Held while a container is being started; `system prune` takes it before removing one. */
export function startLockFile(ctx: Context, id: string): string {
  return ctx.paths.lock(`start-${id}`);
}

/**
 * Start `record` unless it runs already (docker: starting a running container is fine).
 * `input`: the command's stdin, for a container created with -i (the Engine API's attach).
 */
export async function startContainer(ctx: Context, record: ContainerRecord, bootTimeoutSeconds = 60, input?: NodeJS.ReadableStream): Promise<ContainerRecord> {
  // Two `start`s of one container at once must not start two supervisors.
  return withLock(startLockFile(ctx, record.id), async () => {
    // Its supervisor may have been killed -9: unmount and record the end first.
    await reapOrphan(ctx, record.id);
    const current = await findContainer(ctx, record.id);
    if (liveState(current).status === 'running') return current;
    // A fresh state: the last run's exit code and kill signal say nothing about this one.
    const fresh: ContainerRecord = { ...current, state: { status: 'created' } };
    await writeContainer(ctx.paths, fresh);
    await startDetached(ctx, fresh, bootTimeoutSeconds, input);
    // An --rm container may have ended and gone already (as after `run -d --rm`): it started.
    return (await readContainer(ctx.paths, record.id)) ?? fresh;
  });
}

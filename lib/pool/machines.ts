/**
 * A pool's machines: ordinary container records marked `pool: {id}`. A run takes one under
 * the pool's take lock (marking it with its own PID, so it is never handed out twice), uses
 * it once, and ends it; the refill (refill.ts) boots its replacement.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { processAlive } from '../exec/procfs.js';
import { withLock } from '../state/lock.js';
import { listContainers, liveState, readContainer, writeContainer, type ContainerRecord } from '../container/record.js';
import { killContainerTree, removeContainer } from '../container/remove.js';
import { listPools, readPool, takeLock, type PoolDefinition } from './store.js';

export type MachineCondition = 'ready' | 'booting' | 'taken' | 'dead';

/** Pure: where one pooled record stands, from its record and its live state. */
export function conditionOf(record: ContainerRecord, state = liveState(record), alive = processAlive): MachineCondition {
  if (record.pool?.ended) return 'dead';
  if (record.pool?.takenBy !== undefined) return alive(record.pool.takenBy) && state.status === 'running' ? 'taken' : 'dead';
  if (state.status === 'running') return state.leaderPid ? 'ready' : 'booting';
  // Created, its starter (the refill, recorded as supervisorPid) still at work.
  if (state.status === 'created' && alive(state.supervisorPid)) return 'booting';
  return 'dead';
}

export async function poolMachines(ctx: Context, id?: string): Promise<ContainerRecord[]> {
  return (await listContainers(ctx.paths)).filter((r) => r.pool && (id === undefined || r.pool.id === id));
}

/**
 * Take a ready machine of `pool` booted from `imageId` for this process, or none. Ready:
 * booted to `running` (its leader known), not taken before.
 */
export async function takeMachine(ctx: Context, pool: PoolDefinition, imageId: string): Promise<ContainerRecord | undefined> {
  return withLock(takeLock(ctx.paths, pool.id), async () => {
    const ready = (await poolMachines(ctx, pool.id))
      .filter((r) => r.config.imageId === imageId && conditionOf(r) === 'ready')
      .sort((a, b) => a.created.localeCompare(b.created));
    const first = ready[0];
    if (!first) return undefined;
    // Re-read: its supervisor may have written meanwhile.
    const current = await readContainer(ctx.paths, first.id);
    if (!current || conditionOf(current) !== 'ready') return undefined;
    const taken: ContainerRecord = { ...current, pool: { id: pool.id, takenBy: process.pid } };
    await writeContainer(ctx.paths, taken);
    return taken;
  });
}

/**
 * End a machine: SIGKILL its PID 1 (as a foreground run ends a booted container); its
 * supervisor tears down and removes it (pooled machines are --rm). Waits until it is gone,
 * and removes it itself when the supervisor does not.
 */
/**
 * A run's machine, its command ended: killed, and its record given back a name of the pool's
 * and marked ended, so the run's name is free at once and `ps` no longer shows it; its
 * supervisor tears it down and removes it in the background (the run does not wait for
 * that). Should the supervisor be gone, the next pool command or `system prune` removes it.
 */
export async function releaseMachine(ctx: Context, record: ContainerRecord): Promise<void> {
  // Renamed before the kill: once killed, its supervisor may remove the record at any moment.
  await withLock(ctx.paths.lock('names'), async () => {
    const current = await readContainer(ctx.paths, record.id);
    if (!current) return;
    await writeContainer(ctx.paths, { ...current, name: `pool-ended-${record.id.slice(0, 12)}`, pool: { id: record.pool!.id, ended: true } });
  }).catch((err: unknown) => ctx.log.debug(`pool: releasing ${record.id.slice(0, 12)}: ${String(err)}`)); // removed meanwhile (killed by Ctrl-C)
  killContainerTree(record.state.nspawnPid, record.state.leaderPid);
  if (!processAlive(record.state.supervisorPid)) await endMachine(ctx, record);
}

export async function endMachine(ctx: Context, record: ContainerRecord, waitMs = 10_000): Promise<void> {
  const current = (await readContainer(ctx.paths, record.id)) ?? record;
  killContainerTree(current.state.nspawnPid, current.state.leaderPid);
  const deadline = Date.now() + waitMs;
  while (existsSync(ctx.paths.containerMeta(record.id)) && processAlive(current.state.supervisorPid) && Date.now() < deadline) await sleep(10);
  const left = await readContainer(ctx.paths, record.id);
  if (left) await removeContainer(ctx, left, true);
}

/**
 * Machines nothing owns any more: a pool removed (or `pool rm` killed half-way), a run that
 * took one and was killed, a refill killed before the supervisor started, a machine that
 * died. Removed, with what they held (mounts, network namespace, cgroup). Returns their IDs.
 */
export async function discardOrphans(ctx: Context, only?: string): Promise<string[]> {
  const pools = new Set((await listPools(ctx.paths)).map((p) => p.id));
  const gone: string[] = [];
  for (const r of await poolMachines(ctx, only)) {
    const condition = conditionOf(r);
    if (condition !== 'dead' && pools.has(r.pool!.id)) continue;
    // Ended by its run: its supervisor is removing it.
    if (r.pool!.ended && processAlive(r.state.supervisorPid)) continue;
    // A machine being booted for a pool that was just removed: its refill discards it.
    if (condition === 'booting' && (await readPool(ctx.paths, r.pool!.id)) === undefined && processAlive(r.state.supervisorPid) && r.state.status === 'created') continue;
    await endMachine(ctx, r, 3000).catch((err: unknown) => ctx.log.debug(`pool: removing ${r.id.slice(0, 12)}: ${String(err)}`));
    gone.push(r.id);
  }
  return gone;
}

/**
 * Keeping a pool at its size. Only a refill boots a pool's machines, and only under the
 * pool's refill lock, counting what is there first: a pool never grows past its size,
 * however many runs take machines at once (a take only ever lowers the count). A run that
 * took a machine starts `racker __pool-refill ID` detached, which waits for the lock.
 */
import { randomBytes } from '../startup/builtins.js';
import path from 'node:path';
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { createContainer } from '../container/create.js';
import { startDetached, rackerBin } from '../container/detached.js';
import { spawnDaemon } from '../exec/process.js';
import { findImage } from '../image/store.js';
import { conditionOf, discardOrphans, endMachine, poolMachines } from './machines.js';
import { readPool, refillLock, type PoolDefinition } from './store.js';

/** Pure: how many machines to boot now, given the ones ready or booting. */
export function missingMachines(size: number, present: number): number {
  return Math.max(0, size - present);
}

async function bootOne(ctx: Context, pool: PoolDefinition, bootTimeoutSeconds: number): Promise<void> {
  const record = await createContainer(ctx, {
    image: pool.image,
    args: [],
    name: `pool-${randomBytes(5).toString('hex')}`,
    detach: true,
    boot: true,
    autoRemove: true,
    network: pool.network,
    pull: 'never',
    pool: { id: pool.id },
  });
  await startDetached(ctx, record, bootTimeoutSeconds);
}

/**
 * Bring the pool `id` to its size: discard its dead machines and those of an older image,
 * boot the missing ones (all at once) and wait until they are ready. A pool that no longer
 * exists loses its untaken machines. Returns how many were booted.
 */
export async function refillPool(ctx: Context, id: string, bootTimeoutSeconds = 60): Promise<number> {
  return withLock(refillLock(ctx.paths, id), async () => {
    await discardOrphans(ctx, id);
    const pool = await readPool(ctx.paths, id);
    const machines = (await poolMachines(ctx, id)).filter((r) => r.pool?.takenBy === undefined);
    if (!pool) {
      for (const r of machines) await endMachine(ctx, r, 3000);
      return 0;
    }
    // The image its name points at now: machines of an older one are replaced.
    const current = (await findImage(ctx.paths, pool.key, pool.image).catch(() => undefined))?.record.id;
    const kept = [];
    for (const r of machines) {
      if (current && r.config.imageId !== current) await endMachine(ctx, r, 3000);
      else if (conditionOf(r) !== 'dead') kept.push(r);
    }
    const n = missingMachines(pool.size, kept.length);
    if (n) ctx.log.debug(`pool ${pool.image} (${pool.network}): booting ${n}`);
    const results = await Promise.allSettled(Array.from({ length: n }, () => bootOne(ctx, pool, bootTimeoutSeconds)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return n;
  });
}

/** Start a refill in the background (its own session: it outlives this racker). */
export async function spawnRefill(ctx: Context, id: string): Promise<void> {
  const argv = [process.execPath, rackerBin(), ...(ctx.log.verbose ? ['--debug'] : []), '__pool-refill', id];
  // The pool is root's, whoever's run took a machine from it: the refill runs for nobody in particular.
  const { RACKER_CALLER: _caller, ...env } = process.env;
  await spawnDaemon(argv, path.join(ctx.paths.lib, 'pools', 'refill.log'), 'ignore', env);
}

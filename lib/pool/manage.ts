/** racker pool create/ls/rm: the operations behind cli/commands/pool.ts. */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { processesRunning } from '../exec/procfs.js';
import { resolveImageName } from '../image/names.js';
import { findImage } from '../image/store.js';
import { withLock } from '../state/lock.js';
import { conditionOf, discardOrphans, endMachine, poolMachines } from './machines.js';
import { refillPool, spawnRefill } from './refill.js';
import { deletePool, listPools, poolId, readPool, refillLock, writePool, type PoolDefinition } from './store.js';

/** At most this many machines per pool: each is a booted system. */
export const MAX_POOL_SIZE = 32;

export interface CreatePoolOptions {
  image: string;
  size: number;
  network: string;
  /** Return once the definition is written; a background refill boots the machines. */
  noWait?: boolean;
  bootTimeoutSeconds: number;
  status?: (line: string) => void;
}

/** Create a pool, or change its size. The image must have systemd (pulled if missing). */
export async function createPool(ctx: Context, o: CreatePoolOptions): Promise<PoolDefinition> {
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > MAX_POOL_SIZE) throw new UsageError(`invalid pool size: ${o.size} (1 to ${MAX_POOL_SIZE})`);
  if (!['bridge', 'none', 'host'].includes(o.network)) throw new UsageError(`invalid pool network: ${o.network} (bridge, none or host)`);
  const key = resolveImageName(o.image).key;
  let image = await findImage(ctx.paths, key, o.image).catch(() => undefined);
  if (!image) {
    o.status?.(`Unable to find image '${o.image}' locally`);
    const { pullImageByName } = await import('../image/pull-any.js');
    await pullImageByName(ctx, o.image, { status: o.status, progress: o.status });
    image = await findImage(ctx.paths, key, o.image);
  }
  if (!image.record.systemd) throw new UsageError(`image ${o.image} has no systemd: only booted machines are pooled`);
  await discardOrphans(ctx);
  const pool: PoolDefinition = { id: poolId(key, o.network), image: o.image, key, network: o.network, size: o.size, created: ctx.clock().toISOString() };
  await writePool(ctx.paths, pool);
  // A smaller size: the machines beyond it go now (a take never waits for this lock).
  await withLock(refillLock(ctx.paths, pool.id), async () => {
    const spare = (await poolMachines(ctx, pool.id)).filter((r) => conditionOf(r) === 'ready');
    for (const r of spare.slice(o.size)) await endMachine(ctx, r, 3000);
  });
  if (o.noWait) await spawnRefill(ctx, pool.id);
  else await refillPool(ctx, pool.id, o.bootTimeoutSeconds);
  return pool;
}

export interface PoolRow {
  pool: PoolDefinition;
  ready: number;
  booting: number;
  taken: number;
}

export async function listPoolRows(ctx: Context): Promise<PoolRow[]> {
  await discardOrphans(ctx);
  const machines = await poolMachines(ctx);
  return (await listPools(ctx.paths)).map((pool) => {
    const mine = machines.filter((r) => r.pool?.id === pool.id).map((r) => conditionOf(r));
    return { pool, ready: mine.filter((c) => c === 'ready').length, booting: mine.filter((c) => c === 'booting').length, taken: mine.filter((c) => c === 'taken').length };
  });
}

/** Remove the pools of `image` (one network, or all): the definition first, then its untaken machines. Returns the removed pools. */
export async function removePools(ctx: Context, image: string, network?: string): Promise<PoolDefinition[]> {
  const key = resolveImageName(image).key;
  const pools = (await listPools(ctx.paths)).filter((p) => p.key === key && (network === undefined || p.network === network));
  if (!pools.length) throw new NotFoundError(`No such pool: ${image}${network ? ` (network ${network})` : ''}`);
  for (const p of pools) {
    await deletePool(ctx.paths, p.id);
    // The refill lock: a refill booting now finishes first, then its machines go too.
    await refillPool(ctx, p.id);
  }
  await discardOrphans(ctx);
  // Machines whose runs just ended are being removed by their supervisors: rm returns once
  // nothing of these pools is left but the machines still in use.
  const ids = new Set(pools.map((p) => p.id));
  // So do the refills that runs started (detached, `racker __pool-refill ID`): one still on its
  // way to the lock finds the pool gone and ends, a moment after.
  const node = path.basename(process.execPath);
  const refills = () => pools.some((p) => processesRunning(node, p.id).length > 0);
  const deadline = Date.now() + 10_000;
  while (((await poolMachines(ctx)).some((r) => ids.has(r.pool!.id) && conditionOf(r) !== 'taken') || refills()) && Date.now() < deadline) await sleep(20);
  return pools;
}

/** For `system prune`: the machines of removed pools, dead ones, those of killed runs. */
export async function prunePools(ctx: Context): Promise<string[]> {
  const pools = await listPools(ctx.paths);
  const gone = await discardOrphans(ctx);
  // A pool whose definition is still there keeps its size: a killed refill is restarted.
  for (const p of pools) if ((await readPool(ctx.paths, p.id)) && gone.length) await spawnRefill(ctx, p.id);
  return gone;
}

/**
 * Pool definitions: lib/pools/<id>.json, one per image and network, written atomically.
 * A pool's machines are ordinary container records carrying `pool: {id}`; the definition
 * only says how many there should be.
 */
import { createHash } from '../startup/builtins.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../state/paths.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';

export interface PoolDefinition {
  id: string;
  /** The image as the user named it (what the machines are created from). */
  image: string;
  /** Its tag key (resolveImageName), what runs are matched on. */
  key: string;
  network: string;
  size: number;
  created: string;
}

export function poolsDir(paths: Paths): string {
  return path.join(paths.lib, 'pools');
}

/** One pool per image key and network. */
export function poolId(key: string, network: string): string {
  return createHash('sha256').update(`${key}\0${network}`).digest('hex').slice(0, 16);
}

function poolFile(paths: Paths, id: string): string {
  return path.join(poolsDir(paths), `${id}.json`);
}

/** The lock held by whoever boots or discards a pool's machines (refill.ts). */
export function refillLock(paths: Paths, id: string): string {
  return paths.lock(`pool-${id}`);
}

/** The short lock a run takes a machine under (machines.ts). */
export function takeLock(paths: Paths, id: string): string {
  return paths.lock(`pool-take-${id}`);
}

export async function readPool(paths: Paths, id: string): Promise<PoolDefinition | undefined> {
  return readJson<PoolDefinition | undefined>(poolFile(paths, id), undefined).catch(() => undefined);
}

export async function writePool(paths: Paths, pool: PoolDefinition): Promise<void> {
  await fs.mkdir(poolsDir(paths), { recursive: true });
  await writeJsonAtomic(poolFile(paths, pool.id), pool);
}

export async function deletePool(paths: Paths, id: string): Promise<void> {
  await fs.rm(poolFile(paths, id), { force: true });
}

export async function listPools(paths: Paths): Promise<PoolDefinition[]> {
  const names = await fs.readdir(poolsDir(paths)).catch(() => [] as string[]);
  const pools = await Promise.all(names.filter((n) => /^[a-f0-9]{16}\.json$/.test(n)).map((n) => readPool(paths, n.slice(0, -5))));
  return pools.filter((p): p is PoolDefinition => p !== undefined);
}

/** `update`: new limits for a container, written into its cgroup while it runs and kept for its next start. */
import { availableParallelism } from 'node:os';
import type { Context } from '../context.js';
import { applyLimits } from './cgroup.js';
import { mergeResources, validateResources, type Resources } from './limits.js';
import { liveState, readContainer, writeContainer, type ContainerRecord } from './record.js';

export async function updateContainer(ctx: Context, record: ContainerRecord, change: Resources): Promise<ContainerRecord> {
  const merged = mergeResources(record.config.resources, change);
  validateResources(merged, availableParallelism());
  const fresh = (await readContainer(ctx.paths, record.id)) ?? record;
  const live = liveState(fresh);
  // Written first: a limit the kernel refuses (memory below what is in use) leaves the record as it was.
  if (live.status === 'running' && live.cgroup) applyLimits(live.cgroup, merged);
  fresh.config.resources = merged;
  await writeContainer(ctx.paths, fresh);
  return fresh;
}

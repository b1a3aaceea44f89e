/**
 * `update`: new limits for a container, written into its cgroup while it runs and kept for its
 * next start; a new restart policy, which its supervisor reads at the container's next end.
 */
import { availableParallelism } from 'node:os';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { applyLimits } from './cgroup.js';
import { hasResources, mergeResources, validateResources, type Resources } from './limits.js';
import { liveState, readContainer, writeContainer, type ContainerRecord } from './record.js';
import { restartsAfter, type RestartPolicy } from './restart-policy.js';

export interface UpdateChange {
  resources?: Resources;
  /** A new restart policy; null: none ("no"). Absent: unchanged. */
  restartPolicy?: RestartPolicy | null;
}

export async function updateContainer(ctx: Context, record: ContainerRecord, { resources, restartPolicy }: UpdateChange): Promise<ContainerRecord> {
  const fresh = (await readContainer(ctx.paths, record.id)) ?? record;
  if (resources && hasResources(resources)) {
    const merged = mergeResources(fresh.config.resources, resources);
    validateResources(merged, availableParallelism());
    const live = liveState(fresh);
    // Written first: a limit the kernel refuses (memory below what is in use) leaves the record as it was.
    if (live.status === 'running' && live.cgroup) applyLimits(live.cgroup, merged);
    fresh.config.resources = merged;
  }
  if (restartPolicy !== undefined) {
    // docker refuses the pair at create too: the container would be gone before a restart.
    if (restartPolicy && fresh.config.autoRemove) throw new UsageError('Restart policy cannot be updated because AutoRemove is enabled for the container');
    if (restartPolicy) fresh.config.restartPolicy = restartPolicy;
    else delete fresh.config.restartPolicy;
    // Waiting to be restarted: whether it still is follows the new policy (the supervisor checks it again after the delay).
    if (fresh.state.restarting) fresh.state.restarting = restartsAfter(fresh, fresh.state.exitCode ?? 0) || undefined;
  }
  await writeContainer(ctx.paths, fresh);
  return fresh;
}

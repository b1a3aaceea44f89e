/** pause/unpause: the container's cgroup freezer (doc/resources.md); docker's messages. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { ConflictError, RackerError } from '../errors.js';
import { isFrozen, setFrozen } from './cgroup.js';
import { liveState, updateState, type ContainerRecord } from './record.js';
import { emit } from '../events/log.js';

function runningPlace(record: ContainerRecord) {
  if (liveState(record).status !== 'running') throw new ConflictError(`Container ${record.id} is not running`);
  const place = record.state.cgroup;
  if (!place) throw new RackerError(`Container ${record.id} has no cgroup of its own (started by an older racker, or the host has no cgroups): it can't be paused`);
  return place;
}

export async function pauseContainer(ctx: Context, record: ContainerRecord): Promise<void> {
  const place = runningPlace(record);
  if (record.state.paused || isFrozen(place)) throw new ConflictError(`Container ${record.id} is already paused`);
  setFrozen(place, true);
  // v1 passes through FREEZING until every task has stopped; docker answers once frozen.
  const deadline = Date.now() + 5000;
  while (!isFrozen(place) && Date.now() < deadline) await sleep(5);
  await updateState(ctx.paths, record.id, { paused: true });
  emit(ctx, { type: 'container', action: 'pause', container: record });
}

export async function unpauseContainer(ctx: Context, record: ContainerRecord): Promise<void> {
  const place = runningPlace(record);
  if (!record.state.paused && !isFrozen(place)) throw new ConflictError(`Container ${record.id} is not paused`);
  setFrozen(place, false);
  await updateState(ctx.paths, record.id, { paused: false });
  emit(ctx, { type: 'container', action: 'unpause', container: record });
}

/** Before stop/kill/rm -f: a frozen container thawed (the freezer's own state decides, not the record's flag). */
export async function thawForEnd(record: ContainerRecord): Promise<void> {
  const place = record.state.cgroup;
  if (!place || !isFrozen(place)) return;
  try {
    setFrozen(place, false);
  } catch {
    // gone meanwhile
  }
}

/** What docker says to an exec into a paused container. */
export function refuseIfPaused(record: ContainerRecord): void {
  if (liveState(record).status === 'running' && record.state.paused) {
    throw new ConflictError(`Container ${record.id} is paused, unpause the container before exec`);
  }
}

/**
 * A container's cgroup over its life (doc/resources.md): made and limited before nspawn
 * starts, found for a registered machine once it runs, removed at the end — by the
 * supervisor, or by whoever cleans up after a supervisor that was killed.
 */
import { readFileSync } from 'node:fs';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { applyDeviceRules, applyLimits, cgroupParent, createCgroup, hostCgroupLayout, placeFor, placeFromProcCgroup, procsFiles, removeCgroup, type CgroupPlace } from './cgroup.js';
import { hasResources } from './limits.js';
import { readContainer, updateState, type ContainerRecord } from './record.js';

export type OwnedPlace = CgroupPlace & { created: boolean };

/**
 * Make the container's cgroup and write its limits; the cgroup.procs files nspawn's wrapper
 * enters. Where the host has no usable cgroups, a container without limits runs unplaced
 * (as before) and one with limits is refused.
 */
export async function prepareCgroup(ctx: Context, record: ContainerRecord): Promise<OwnedPlace | undefined> {
  const layout = hostCgroupLayout();
  const limits = record.config.resources ?? {};
  try {
    if (!layout) throw new RackerError('no cgroup hierarchy is mounted');
    const place: OwnedPlace = { ...placeFor(layout, cgroupParent(ctx.env), record.id), created: true };
    await removeCgroup(place, 0); // a leftover of a killed run, empty by now
    await createCgroup(layout, place);
    applyLimits(place, limits);
    if (record.config.deviceCgroupRules?.length) applyDeviceRules(place, record.config.deviceCgroupRules);
    await updateState(ctx.paths, record.id, { cgroup: place, paused: undefined });
    return place;
  } catch (err) {
    if (hasResources(limits)) throw new RackerError(`can't apply the container's resource limits: ${(err as Error).message}`);
    if (record.config.deviceCgroupRules?.length) throw new RackerError(`can't apply the container's device cgroup rules: ${(err as Error).message}`);
    ctx.log.debug(`no cgroup for ${record.id.slice(0, 12)}: ${(err as Error).message}`);
    return undefined;
  }
}

export function enterFiles(place: CgroupPlace | undefined): string[] {
  return place ? procsFiles(place) : [];
}

/** A registered machine: systemd made its scope; where PID 1 is, the container is. */
export async function noteRegisteredPlace(ctx: Context, id: string, leader: number): Promise<void> {
  const layout = hostCgroupLayout();
  if (!layout) return;
  try {
    const place = placeFromProcCgroup(layout, readFileSync(`/proc/${leader}/cgroup`, 'utf8'));
    await updateState(ctx.paths, id, { cgroup: { ...place, created: false } });
  } catch (err) {
    ctx.log.debug(`cgroup of ${leader}: ${(err as Error).message}`);
  }
}

/** After the end: remove what racker made (a registered machine's scope is systemd's). */
export async function releaseCgroup(place: OwnedPlace | undefined, timeoutMs?: number): Promise<void> {
  if (place?.created) await removeCgroup(place, timeoutMs);
}

/** Cleanup of a container whose supervisor is gone (rm, ps, prune): its recorded cgroup. */
export async function releaseRecordedCgroup(ctx: Context, id: string): Promise<void> {
  const r = await readContainer(ctx.paths, id);
  await releaseCgroup(r?.state.cgroup).catch((err: unknown) => ctx.log.debug(`cgroup cleanup: ${String(err)}`));
}

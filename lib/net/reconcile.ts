/**
 * What a killed racker can leave of a container's networking, found and removed by the next
 * racker command that looks (run, ps, system prune). Only a named namespace can outlive its
 * owner — with the container's veth pair in it; the nft table and the host ports die with
 * the supervisor by themselves.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Context } from '../context.js';
import { listContainers } from '../container/record.js';
import { processAlive } from '../exec/procfs.js';
import { removeOrphanedNamespaces } from './kernel.js';

export async function reconcileNetworking(ctx: Context): Promise<string[]> {
  // The common case costs one readdir: no named racker namespace, nothing to look up.
  if (!existsSync('/run/netns') || !readdirSync('/run/netns').some((n) => n.startsWith('racker-'))) return [];
  const records = new Map((await listContainers(ctx.paths)).map((r) => [r.id.slice(0, 12), r]));
  return removeOrphanedNamespaces(ctx, (id12) => {
    const r = records.get(id12);
    if (!r) return undefined;
    if (processAlive(r.state.supervisorPid) || processAlive(r.state.nspawnPid)) return true;
    // `racker start` records no owner before its supervisor runs: let the age rule decide.
    if (r.state.status === 'created' && r.state.supervisorPid === undefined) return undefined;
    return false;
  });
}

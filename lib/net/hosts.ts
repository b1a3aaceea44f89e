/**
 * Containers' /etc/hosts on user networks: each lists its own names and those of every
 * running container it shares a user network with (docker answers the same names from its
 * embedded DNS; the default bridge network resolves no names, as docker's). Rewritten in
 * every running container of a network when a container comes or goes.
 */
import type { Context } from '../context.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { listContainers, liveState, type ContainerRecord, type Endpoint } from '../container/record.js';
import { HOST_GATEWAY, hostsFile, parseAddHost, type HostEntry } from './files.js';
import { predefinedNetworks } from './store.js';

export function endpointsOf(r: ContainerRecord): Endpoint[] {
  return [...(r.state.endpoint ? [r.state.endpoint] : []), ...(r.state.extraEndpoints ?? [])];
}

const predefined = new Set(predefinedNetworks().map((n) => n.id));

/** The text of `self`'s /etc/hosts among `all` (records as they are now; `leaving` left out). */
export function hostsTextFor(self: ContainerRecord, all: readonly ContainerRecord[], leaving?: string): string {
  const mine = endpointsOf(self);
  const id12 = self.id.slice(0, 12);
  const own: HostEntry = { address: mine[0]?.address ?? '127.0.1.1', names: [self.config.hostname, self.name, ...mine.flatMap((e) => e.aliases), id12] };
  const shared = new Map(mine.filter((e) => !predefined.has(e.networkId)).map((e) => [e.networkId, e]));
  const peers: HostEntry[] = [];
  for (const other of all) {
    if (other.id === self.id || other.id === leaving || liveState(other).status !== 'running') continue;
    for (const e of endpointsOf(other)) {
      if (shared.has(e.networkId)) peers.push({ address: e.address, names: [other.config.hostname, other.name, ...e.aliases, other.id.slice(0, 12)] });
    }
  }
  // Legacy links: the alias names the linked container wherever it runs (docker writes the same line).
  for (const link of self.config.links ?? []) {
    const other = all.find((r) => r.id === link.id);
    const address = other && liveState(other).status === 'running' ? other.state.endpoint?.address : undefined;
    if (other && address) peers.push({ address, names: [link.alias, other.id.slice(0, 12), other.name] });
  }
  const gateway = mine[0]?.gateway;
  const extra = (self.config.addHosts ?? []).map(parseAddHost).flatMap((e) => (e.address !== HOST_GATEWAY ? [e] : gateway ? [{ ...e, address: gateway }] : []));
  return hostsFile(own, peers, extra);
}

export function writeHosts(root: string, text: string): void {
  ContainerRoot.with(root, (r) => r.writeFile('/etc/hosts', text, { mode: 0o644, durable: false }));
}

/** Rewrite /etc/hosts in every running container on one of `networkIds` (but `leaving`, which is going). */
export async function refreshHosts(ctx: Context, networkIds: readonly string[], leaving?: string): Promise<void> {
  const ids = new Set(networkIds.filter((id) => !predefined.has(id)));
  if (!ids.size) return;
  const all = await listContainers(ctx.paths);
  for (const r of all) {
    if (r.id === leaving || liveState(r).status !== 'running' || r.state.leaderPid === undefined) continue;
    if (!endpointsOf(r).some((e) => ids.has(e.networkId))) continue;
    try {
      writeHosts(processRoot(r.state.leaderPid), hostsTextFor(r, all, leaving));
    } catch (err) {
      // It may be ending right now; its peers are rewritten again when it has.
      ctx.log.debug(`hosts of ${r.name} not updated: ${String(err)}`);
    }
  }
}

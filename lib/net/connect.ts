/**
 * racker network connect/disconnect: a container's networks beyond its first. The config
 * keeps them (joined again at every start); a running container gets or loses the interface
 * at once, and the names on the network follow.
 */
import type { Context } from '../context.js';
import { RackerError, UsageError } from '../errors.js';
import { findContainer, liveState, readContainer, writeContainer, type ContainerRecord } from '../container/record.js';
import { withLock } from '../state/lock.js';
import { join } from './attach.js';
import { refreshHosts } from './hosts.js';
import { disconnectVeth } from './kernel.js';
import { findNetwork, type NetworkRecord } from './store.js';
import { emit } from '../events/log.js';

function isFirstNetwork(record: ContainerRecord, network: NetworkRecord): boolean {
  if (record.config.networkDetached) return false;
  return record.config.networkId === network.id || (!record.config.networkId && record.config.network === network.name);
}

/** The first network, set again on a stopped container whose first network was disconnected. */
function becomeFirst(record: ContainerRecord, network: NetworkRecord, opts: { aliases: string[]; ip?: string }): void {
  const c = record.config;
  c.network = network.name;
  c.networkId = network.id;
  c.networkAliases = opts.aliases;
  if (opts.ip) c.ip = opts.ip;
  else delete c.ip;
  delete c.networkDetached;
}

function checkBridge(record: ContainerRecord, network: NetworkRecord): void {
  if (network.driver !== 'bridge') throw new UsageError('container cannot be disconnected from host network or connected to host network');
  if (record.config.network === 'host' || record.config.network === 'none') {
    throw new UsageError(`container ${record.name} runs with --network ${record.config.network}: it cannot be connected to other networks`);
  }
}

/** Serializes changes of one container's networks (and re-reads the record under it). */
async function changing(ctx: Context, nameOrId: string, fn: (record: ContainerRecord) => Promise<void>, event: { action: 'connect' | 'disconnect'; network: NetworkRecord }): Promise<void> {
  const found = await findContainer(ctx, nameOrId);
  await withLock(ctx.paths.lock(`networks-of-${found.id}`), async () => fn((await readContainer(ctx.paths, found.id)) ?? found));
  emit(ctx, { type: 'network', action: event.action, id: event.network.id, attributes: { container: found.id, name: event.network.name, type: event.network.driver } });
}

export async function connectContainer(ctx: Context, nameOrId: string, networkId: string, opts: { aliases: string[]; ip?: string }): Promise<void> {
  const network = await findNetwork(ctx.paths, networkId);
  await changing(ctx, nameOrId, async (record) => {
    checkBridge(record, network);
    if (isFirstNetwork(record, network) || record.config.extraNetworks?.some((n) => n.networkId === network.id)) {
      throw new RackerError(`endpoint with name ${record.name} already exists in network ${network.name}`);
    }
    if (opts.ip !== undefined && network.predefined) throw new UsageError('user specified IP address is supported on user defined networks only');
    const extra = { networkId: network.id, name: network.name, aliases: opts.aliases, ...(opts.ip ? { ip: opts.ip } : {}) };
    const state = liveState(record);
    if (record.config.networkDetached && state.status !== 'running') {
      becomeFirst(record, network, opts);
      await writeContainer(ctx.paths, record);
      return;
    }
    if (state.status === 'running' && state.leaderPid) {
      const used = new Set([record.state.endpoint?.ifname ?? 'eth0', ...(record.state.extraEndpoints ?? []).map((e) => e.ifname)]);
      let n = 1;
      while (used.has(`eth${n}`)) n++;
      const { endpoint } = await join(ctx, record.id, { network, ...(opts.ip ? { ip: opts.ip } : {}), aliases: opts.aliases, ifname: `eth${n}`, primary: false, ports: [] }, true, state.leaderPid);
      record.state.extraEndpoints = [...(record.state.extraEndpoints ?? []), endpoint];
    }
    record.config.extraNetworks = [...(record.config.extraNetworks ?? []), extra];
    await writeContainer(ctx.paths, record);
    await refreshHosts(ctx, [network.id]);
  }, { action: 'connect', network });
}

export async function disconnectContainer(ctx: Context, nameOrId: string, networkId: string): Promise<void> {
  const network = await findNetwork(ctx.paths, networkId);
  await changing(ctx, nameOrId, async (record) => {
    checkBridge(record, network);
    if (isFirstNetwork(record, network)) {
      if (liveState(record).status === 'running') {
        throw new UsageError(`${network.name} is the first network of container ${record.name}: racker can only disconnect networks connected later from a running container`);
      }
      // Stopped: a network connected later becomes the first, or none is left until one is connected.
      const [next, ...rest] = record.config.extraNetworks ?? [];
      if (next) {
        becomeFirst(record, await findNetwork(ctx.paths, next.networkId), { aliases: next.aliases, ...(next.ip ? { ip: next.ip } : {}) });
        record.config.extraNetworks = rest;
      } else record.config.networkDetached = true;
      await writeContainer(ctx.paths, record);
      return;
    }
    if (!record.config.extraNetworks?.some((n) => n.networkId === network.id)) {
      throw new RackerError(`container ${record.name} is not connected to network ${network.name}`);
    }
    const endpoint = record.state.extraEndpoints?.find((e) => e.networkId === network.id);
    if (endpoint && liveState(record).status === 'running') await disconnectVeth(ctx, endpoint.address);
    record.config.extraNetworks = record.config.extraNetworks.filter((n) => n.networkId !== network.id);
    record.state.extraEndpoints = record.state.extraEndpoints?.filter((e) => e.networkId !== network.id);
    await writeContainer(ctx.paths, record);
    await refreshHosts(ctx, [network.id, ...(record.state.endpoint ? [record.state.endpoint.networkId] : [])]);
  }, { action: 'disconnect', network });
}

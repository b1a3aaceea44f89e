/** racker network rm/prune/inspect/ls: the operations over networks and the containers on them. */
import type { Context } from '../context.js';
import { ForbiddenError, UsageError } from '../errors.js';
import { listContainers, liveState, type ContainerRecord } from '../container/record.js';
import { deleteBridge, ensureBridge } from './kernel.js';
import { createNetwork, deleteNetworkRecord, findNetwork, listNetworks, type CreateNetworkOptions, type NetworkRecord } from './store.js';
import { parseSubnet } from './subnet.js';
import { withLock } from '../state/lock.js';
import { matchesLabel } from '../format/labels.js';
import { endpointsOf } from './hosts.js';
import { emit } from '../events/log.js';

function on(network: NetworkRecord, containers: readonly ContainerRecord[]): ContainerRecord[] {
  return containers.filter(
    (c) => c.config.networkId === network.id || (!c.config.networkId && c.config.network === network.name) || c.config.extraNetworks?.some((n) => n.networkId === network.id),
  );
}

/** docker's inspect shape of a network, with the running containers on it. */
export function inspectNetwork(network: NetworkRecord, containers: readonly ContainerRecord[]): Record<string, unknown> {
  const running = on(network, containers).filter((c) => liveState(c).status === 'running');
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: network.subnet ? [{ Subnet: network.subnet, Gateway: network.gateway }] : [] },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      running.map((c) => {
        const e = endpointsOf(c).find((x) => x.networkId === network.id);
        return [c.id, { Name: c.name, EndpointID: e ? c.id : '', MacAddress: e?.mac ?? '', IPv4Address: e ? `${e.address}/${e.prefix}` : '', IPv6Address: '' }];
      }),
    ),
    Options: network.bridge ? { 'com.docker.network.bridge.name': network.bridge } : {},
    Labels: network.labels,
  };
}

export async function inspectNetworks(ctx: Context, names: readonly string[]): Promise<Record<string, unknown>[]> {
  const containers = await listContainers(ctx.paths);
  const found = await Promise.all(names.map((n) => findNetwork(ctx.paths, n)));
  return found.map((n) => inspectNetwork(n, containers));
}

/** A user network goes with its bridge; one with running containers stays (docker: "has active endpoints"). */
export async function removeNetwork(ctx: Context, nameOrId: string): Promise<NetworkRecord> {
  return withLock(ctx.paths.lock('networks'), async () => {
    const network = await findNetwork(ctx.paths, nameOrId);
    if (network.predefined) throw new ForbiddenError(`${network.name} is a pre-defined network and cannot be removed`);
    const active = on(network, await listContainers(ctx.paths)).filter((c) => liveState(c).status === 'running');
    if (active.length) throw new ForbiddenError(`error while removing network: network ${network.name} id ${network.id} has active endpoints (${active.map((c) => c.name).join(', ')})`);
    if (network.bridge) await deleteBridge(ctx, network.bridge);
    await deleteNetworkRecord(ctx.paths, network.id);
    emit(ctx, { type: 'network', action: 'destroy', id: network.id, attributes: { name: network.name, type: network.driver } });
    return network;
  });
}

/** Every user network no container refers to (running or not), as docker's network prune. */
export async function pruneNetworks(ctx: Context): Promise<NetworkRecord[]> {
  const containers = await listContainers(ctx.paths);
  const unused = (await listNetworks(ctx.paths)).filter((n) => !n.predefined && on(n, containers).length === 0);
  const removed: NetworkRecord[] = [];
  for (const n of unused) {
    try {
      removed.push(await removeNetwork(ctx, n.id));
    } catch (err) {
      ctx.log.debug(`network ${n.name} kept: ${String(err)}`);
    }
  }
  return removed;
}

/** docker network ls's filters: name (substring), id (part of it), driver, label, type=custom|builtin. */
export function networkMatches(network: NetworkRecord, filters: readonly string[]): boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq);
    if (!['name', 'id', 'driver', 'label', 'type', 'scope'].includes(key)) throw new UsageError(`invalid filter '${key}'`);
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)]);
  }
  const one = (key: string, v: string): boolean => {
    if (key === 'name') return network.name.includes(v);
    // docker: "all or part of a network's ID".
    if (key === 'id') return network.id.includes(v);
    if (key === 'driver') return network.driver === v;
    if (key === 'scope') return v === 'local';
    if (key === 'type') return v === (network.predefined ? 'builtin' : 'custom');
    return matchesLabel(network.labels, v);
  };
  return [...byKey].every(([key, values]) => values.some((v) => one(key, v)));
}

/** `network create`: the record, then its bridge (docker makes it at once too); neither stays if the other fails. */
export async function createBridgeNetwork(ctx: Context, opts: CreateNetworkOptions): Promise<NetworkRecord> {
  const network = await createNetwork(ctx, opts);
  try {
    await ensureBridge(ctx, network.bridge!, network.gateway!, parseSubnet(network.subnet!).prefix);
  } catch (err) {
    await deleteNetworkRecord(ctx.paths, network.id);
    if (network.bridge) await deleteBridge(ctx, network.bridge).catch(() => undefined);
    throw err;
  }
  emit(ctx, { type: 'network', action: 'create', id: network.id, attributes: { name: network.name, type: network.driver } });
  return network;
}

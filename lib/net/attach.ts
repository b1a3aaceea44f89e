/**
 * A container's places on bridge networks, for the time it runs: made by its supervisor
 * before systemd-nspawn starts (nspawn starts inside the prepared namespace), undone when it
 * ends. What it owns goes with it even when racker is killed: the namespace and veth pairs
 * with the container's processes, the nft table and the host ports with the supervisor.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { ContainerRoot } from '../fs/in-root.js';
import { listContainers, type ContainerRecord, type Endpoint } from '../container/record.js';
import type { Attachment } from './argv.js';
import { resolvConf } from './files.js';
import { endpointsOf, hostsTextFor, refreshHosts } from './hosts.js';
import { claimAndConnect, claimedAddresses, ensureBridge, namespacePath, releaseNamespaceName, startNftOwner, type NftOwner } from './kernel.js';
import { reconcileNetworking } from './reconcile.js';
import { bindPorts, type PublishedSet } from './publish.js';
import { findNetwork, type NetworkRecord } from './store.js';
import { formatIPv4, isHostAddress, lowestFree, macFor, parseIPv4, parseSubnet } from './subnet.js';
import type { PublishedPort } from './ports.js';
import { emit } from '../events/log.js';

export interface NetworkAttachment {
  /** The namespace nspawn starts in. */
  namespacePath: string;
  endpoint: Endpoint;
  extraEndpoints: Endpoint[];
  /** The container's processes are in the namespace: drop its name (it lives as long as they do). */
  joined(): Promise<void>;
  /** Undo everything (idempotent): rules, host ports, the namespace's name, peers' hosts entries. */
  release(): Promise<void>;
}

/** The bridge network a container's config names, or undefined for host and none. */
export async function bridgeNetworkOf(ctx: Context, record: ContainerRecord): Promise<NetworkRecord | undefined> {
  if (record.config.networkDetached) return undefined;
  const network = await findNetwork(ctx.paths, record.config.networkId ?? record.config.network).catch(() => findNetwork(ctx.paths, record.config.network));
  return network.driver === 'bridge' ? network : undefined;
}

/** Addresses to try for a container: --ip, or each one nobody has claimed, lowest first. */
function candidates(network: NetworkRecord, asked: string | undefined): () => string | undefined {
  const subnet = parseSubnet(network.subnet!);
  const gateway = parseIPv4(network.gateway!)!;
  if (asked !== undefined) {
    const n = parseIPv4(asked);
    if (n === undefined || !isHostAddress(subnet, n) || n === gateway) {
      throw new RackerError(`invalid address ${asked}: not a free host address of network ${network.name} (${network.subnet})`);
    }
    let tried = false;
    return () => (tried ? undefined : ((tried = true), asked));
  }
  // The gateway, and addresses tried already (claimed by another racker in the meantime).
  const passed = new Set<number>([gateway]);
  return () => {
    const next = lowestFree(subnet, new Set([...passed, ...[...claimedAddresses()].map((a) => parseIPv4(a)!)]));
    if (next === undefined) return undefined;
    passed.add(next);
    return formatIPv4(next);
  };
}

export interface JoinRequest {
  network: NetworkRecord;
  ip?: string;
  /** --mac-address: this interface's address instead of the one made from its IPv4 address. */
  mac?: string;
  aliases: string[];
  ifname: string;
  primary: boolean;
  ports: readonly PublishedPort[];
}

/**
 * Claim an address on `req.network` and give the container its interface there: in its
 * namespace being made (`running` undefined; `namespaceMade` says whether an earlier call made
 * it), or in a running container's (`running` = its PID 1).
 */
export async function join(ctx: Context, id: string, req: JoinRequest, namespaceMade: boolean, running?: number): Promise<{ attachment: Attachment; endpoint: Endpoint }> {
  const { network } = req;
  const prefix = parseSubnet(network.subnet!).prefix;
  await ensureBridge(ctx, network.bridge!, network.gateway!, prefix);
  const next = candidates(network, req.ip);
  let made = namespaceMade;
  for (let address = next(); address !== undefined; address = next()) {
    const a: Attachment = {
      id,
      bridge: network.bridge!,
      address,
      gateway: network.gateway!,
      prefix,
      subnet: network.subnet!,
      mac: req.mac ?? macFor(parseIPv4(address)!),
      internal: network.internal,
      ports: req.ports,
      ifname: req.ifname,
      primary: req.primary,
    };
    const claimed = await claimAndConnect(ctx, a, made, running);
    made = true;
    if (claimed) {
      const endpoint: Endpoint = { networkId: network.id, network: network.name, address, gateway: a.gateway, prefix, mac: a.mac, aliases: req.aliases, ports: [...req.ports], ifname: req.ifname };
      return { attachment: a, endpoint };
    }
  }
  throw new RackerError(req.ip ? `Address already in use: ${req.ip} on network ${network.name}` : `no free address left on network ${network.name} (${network.subnet})`);
}

export async function attachNetwork(ctx: Context, record: ContainerRecord, network: NetworkRecord, rootfs: string): Promise<NetworkAttachment> {
  const { id, config } = record;
  await reconcileNetworking(ctx);
  // This container's own namespace from a start a killed racker left half-done.
  await releaseNamespaceName(ctx, id);
  // Host ports first: a taken one fails the start before anything is made in the kernel.
  const target = { address: '' };
  const published: PublishedSet = await bindPorts(config.publish ?? [], target);
  let nft: NftOwner | undefined;
  const undo = async () => {
    nft?.close();
    nft = undefined;
    await published.close();
    await releaseNamespaceName(ctx, id);
  };
  try {
    const first = await join(ctx, id, { network, ...(config.ip ? { ip: config.ip } : {}), ...(config.macAddress ? { mac: config.macAddress } : {}), aliases: config.networkAliases ?? [], ifname: 'eth0', primary: true, ports: published.ports }, false);
    target.address = first.endpoint.address;
    nft = await startNftOwner(ctx, first.attachment);
    const extraEndpoints: Endpoint[] = [];
    for (const [i, extra] of (config.extraNetworks ?? []).entries()) {
      const other = await findNetwork(ctx.paths, extra.networkId);
      const joined = await join(ctx, id, { network: other, ...(extra.ip ? { ip: extra.ip } : {}), aliases: extra.aliases, ifname: `eth${i + 1}`, primary: false, ports: [] }, true);
      extraEndpoints.push(joined.endpoint);
    }
    const all = await listContainers(ctx.paths);
    const self: ContainerRecord = { ...record, state: { ...record.state, status: 'running', endpoint: first.endpoint, extraEndpoints } };
    ContainerRoot.with(rootfs, (root) => {
      root.writeFile('/etc/hosts', hostsTextFor(self, all), { mode: 0o644, durable: false });
      root.writeFile('/etc/resolv.conf', resolvConf(config.dns ?? []), { mode: 0o644, durable: false });
    });
    const networkIds = [first.endpoint, ...extraEndpoints].map((e) => e.networkId);
    // dockerd reports a container's networks as connected at each start and disconnected at its end.
    const report = (action: 'connect' | 'disconnect') => {
      for (const e of [first.endpoint, ...extraEndpoints]) emit(ctx, { type: 'network', action, id: e.networkId, attributes: { container: id, name: e.network, type: 'bridge' } });
    };
    report('connect');
    let released = false;
    return {
      namespacePath: namespacePath(id),
      endpoint: first.endpoint,
      extraEndpoints,
      joined: () => releaseNamespaceName(ctx, id),
      release: async () => {
        if (released) return;
        released = true;
        report('disconnect');
        await undo();
        await refreshHosts(ctx, networkIds, id);
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Once the container's endpoints are recorded: the peers on its networks learn its names. */
export async function announce(ctx: Context, record: ContainerRecord): Promise<void> {
  await refreshHosts(ctx, endpointsOf(record).map((e) => e.networkId));
}

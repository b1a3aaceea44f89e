/**
 * A container's place on a bridge network, for the time it runs: done by its supervisor
 * before systemd-nspawn starts (nspawn then joins the prepared namespace), undone when it
 * ends. What it owns goes with it even when racker is killed: the namespace and veth pair
 * with the container's processes, the nft table and the host ports with the supervisor.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { listContainers, liveState, type ContainerRecord, type Endpoint } from '../container/record.js';
import type { Attachment } from './argv.js';
import { hostsFile, parseAddHost, resolvConf, type HostEntry } from './files.js';
import { claimAndConnect, claimedAddresses, ensureBridge, namespacePath, releaseNamespaceName, removeOrphanedNamespaces, startNftOwner, type NftOwner } from './kernel.js';
import { bindPorts, type PublishedSet } from './publish.js';
import { findNetwork, type NetworkRecord } from './store.js';
import { contains, formatIPv4, isHostAddress, macFor, parseIPv4, parseSubnet } from './subnet.js';

export interface NetworkAttachment {
  /** For nspawn's --network-namespace-path. */
  namespacePath: string;
  endpoint: Endpoint;
  /** The container's processes are in the namespace: drop its name (it lives as long as they do). */
  joined(): Promise<void>;
  /** Undo everything (idempotent): rules, host ports, the namespace's name, peers' hosts entries. */
  release(): Promise<void>;
}

/** The bridge network a container's config names, or undefined for host and none. */
export async function bridgeNetworkOf(ctx: Context, record: ContainerRecord): Promise<NetworkRecord | undefined> {
  const network = await findNetwork(ctx.paths, record.config.network);
  return network.driver === 'bridge' ? network : undefined;
}

function peerEntry(r: ContainerRecord): HostEntry | undefined {
  const e = r.state.endpoint;
  return e && { address: e.address, names: [r.config.hostname, r.name, ...e.aliases, r.id.slice(0, 12)] };
}

/** Running containers on `networkId`, other than `selfId`. */
async function peersOn(ctx: Context, networkId: string, selfId: string): Promise<ContainerRecord[]> {
  return (await listContainers(ctx.paths)).filter(
    (r) => r.id !== selfId && r.state.endpoint?.networkId === networkId && liveState(r).status === 'running' && r.state.leaderPid !== undefined,
  );
}

function ownEntry(record: ContainerRecord, address: string, aliases: readonly string[]): HostEntry {
  return { address, names: [record.config.hostname, record.name, ...aliases, record.id.slice(0, 12)] };
}

function writeHosts(root: string, text: string): void {
  ContainerRoot.with(root, (r) => r.writeFile('/etc/hosts', text, { mode: 0o644, durable: false }));
}

/**
 * On a user network, each container's /etc/hosts lists the others (docker answers the same
 * names from its embedded DNS): rewritten in every running peer when one comes or goes.
 */
async function refreshPeers(ctx: Context, network: NetworkRecord, selfId: string, leaving: boolean): Promise<void> {
  if (network.predefined) return;
  const peers = await peersOn(ctx, network.id, selfId);
  // A container that is leaving still looks alive (its supervisor runs this): not listed.
  const all = (await listContainers(ctx.paths)).filter(
    (r) => r.state.endpoint?.networkId === network.id && liveState(r).status === 'running' && !(leaving && r.id === selfId),
  );
  for (const peer of peers) {
    const own = peerEntry(peer)!;
    const others = all.filter((r) => r.id !== peer.id).map(peerEntry).filter((e): e is HostEntry => e !== undefined);
    try {
      writeHosts(processRoot(peer.state.leaderPid!), hostsFile(own, others, extraHosts(peer)));
    } catch (err) {
      ctx.log.debug(`hosts of ${peer.name} not updated: ${String(err)}`);
    }
  }
}

function extraHosts(r: ContainerRecord): HostEntry[] {
  return (r.config.addHosts ?? []).map(parseAddHost);
}

/** The address for the container: --ip, or the lowest one nobody has claimed. */
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
  const tried = new Set<string>();
  return () => {
    const taken = claimedAddresses();
    for (let a = subnet.base + 2; contains(subnet, a + 1); a++) {
      if (a === gateway) continue;
      const text = formatIPv4(a);
      if (!taken.has(text) && !tried.has(text)) {
        tried.add(text);
        return text;
      }
    }
    return undefined;
  };
}

export async function attachNetwork(ctx: Context, record: ContainerRecord, network: NetworkRecord, rootfs: string): Promise<NetworkAttachment> {
  const { id, config } = record;
  const subnet = network.subnet!;
  const prefix = parseSubnet(subnet).prefix;
  const gateway = network.gateway!;
  const extra = extraHosts(record);
  await removeOrphanedNamespaces(ctx);
  // This container's own namespace from a start a killed racker left half-done.
  await releaseNamespaceName(ctx, id);
  // Host ports first: a taken one fails the start before anything is made in the kernel.
  const target = { address: '' };
  const published: PublishedSet = await bindPorts(config.publish ?? [], target);
  let nft: NftOwner | undefined;
  let namespaceMade = false;
  const undo = async () => {
    nft?.close();
    nft = undefined;
    await published.close();
    await releaseNamespaceName(ctx, id);
  };
  try {
    await ensureBridge(ctx, network.bridge!, gateway, prefix);
    const next = candidates(network, config.ip);
    let attachment: Attachment | undefined;
    for (let address = next(); address !== undefined; address = next()) {
      const a: Attachment = { id, bridge: network.bridge!, address, gateway, prefix, subnet, mac: macFor(parseIPv4(address)!), internal: network.internal, ports: published.ports };
      const claimed = await claimAndConnect(ctx, a, namespaceMade);
      namespaceMade = true;
      if (claimed) {
        attachment = a;
        break;
      }
    }
    if (!attachment) {
      throw new RackerError(config.ip ? `Address already in use: ${config.ip} on network ${network.name}` : `no free address left on network ${network.name} (${subnet})`);
    }
    target.address = attachment.address;
    nft = await startNftOwner(ctx, attachment);
    const aliases = config.networkAliases ?? [];
    const peers = network.predefined ? [] : (await peersOn(ctx, network.id, id)).map(peerEntry).filter((e): e is HostEntry => e !== undefined);
    ContainerRoot.with(rootfs, (root) => {
      root.writeFile('/etc/hosts', hostsFile(ownEntry(record, attachment.address, aliases), peers, extra), { mode: 0o644, durable: false });
      root.writeFile('/etc/resolv.conf', resolvConf(config.dns ?? []), { mode: 0o644, durable: false });
    });
    const endpoint: Endpoint = {
      networkId: network.id,
      network: network.name,
      address: attachment.address,
      gateway,
      prefix,
      mac: attachment.mac,
      aliases,
      ports: published.ports,
    };
    let released = false;
    return {
      namespacePath: namespacePath(id),
      endpoint,
      joined: () => releaseNamespaceName(ctx, id),
      release: async () => {
        if (released) return;
        released = true;
        await undo();
        await refreshPeers(ctx, network, id, true);
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Once the container's endpoint is recorded: the peers learn its name. */
export async function announce(ctx: Context, record: ContainerRecord, network: NetworkRecord): Promise<void> {
  await refreshPeers(ctx, network, record.id, false);
}

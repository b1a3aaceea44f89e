/** The networking flags of create/run, checked and turned into a container's config. */
import { isIP } from 'node:net';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { ContainerConfig } from '../container/record.js';
import { parseAddHost } from './files.js';
import { checkDistinct, parsePublish } from './ports.js';
import { findNetwork } from './store.js';

export interface NetworkFlags {
  network?: string;
  publish?: string[];
  networkAliases?: string[];
  ip?: string;
  macAddress?: string;
  dns?: string[];
  addHosts?: string[];
  warn?: (line: string) => void;
}

type NetworkConfig = Pick<ContainerConfig, 'network' | 'networkId' | 'publish' | 'networkAliases' | 'ip' | 'macAddress' | 'dns' | 'addHosts'>;

/**
 * --mac-address: six hex octets (any case, ':' or '-' between), kept lower-case with ':'. A
 * multicast address (lowest bit of the first octet) can't be an interface's: the kernel refuses it.
 */
export function checkMac(text: string): string {
  const m = /^([0-9a-f]{2})([:-])[0-9a-f]{2}(\2[0-9a-f]{2}){4}$/i.exec(text);
  if (!m || (Number.parseInt(m[1]!, 16) & 1) === 1 || /^0{2}([:-]0{2}){5}$/.test(text)) throw new UsageError(`invalid MAC address: ${text}`);
  return text.toLowerCase().replace(/-/g, ':');
}

export async function networkSettings(ctx: Context, f: NetworkFlags): Promise<NetworkConfig> {
  const name = f.network ?? 'bridge';
  const network = await findNetwork(ctx.paths, name);
  const publish = (f.publish ?? []).flatMap(parsePublish);
  checkDistinct(publish);
  for (const d of f.dns ?? []) if (!isIP(d)) throw new UsageError(`${d} is not an ip address`);
  for (const h of f.addHosts ?? []) parseAddHost(h);
  const macAddress = f.macAddress ? checkMac(f.macAddress) : undefined;
  if (network.driver !== 'bridge') {
    if (publish.length) f.warn?.(`WARNING: Published ports are discarded when using ${network.name} network mode`);
    if (f.ip !== undefined || f.networkAliases?.length) throw new UsageError('user specified IP address and network aliases are supported only on user defined networks');
    if (macAddress) throw new UsageError(`conflicting options: mac-address and the network mode (${network.name})`);
    return { network: network.name, networkId: network.id, ...(f.dns?.length ? { dns: f.dns } : {}), ...(f.addHosts?.length ? { addHosts: f.addHosts } : {}) };
  }
  if (network.predefined && (f.ip !== undefined || f.networkAliases?.length)) {
    throw new UsageError('user specified IP address and network aliases are supported only on user defined networks');
  }
  return {
    // The name as the user gave it (docker's NetworkMode); an ID prefix stays the network's name.
    network: network.name,
    networkId: network.id,
    ...(publish.length ? { publish } : {}),
    ...(f.networkAliases?.length ? { networkAliases: f.networkAliases } : {}),
    ...(f.ip !== undefined ? { ip: f.ip } : {}),
    ...(macAddress ? { macAddress } : {}),
    ...(f.dns?.length ? { dns: f.dns } : {}),
    ...(f.addHosts?.length ? { addHosts: f.addHosts } : {}),
  };
}

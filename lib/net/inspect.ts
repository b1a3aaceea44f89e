/** A container's networking in docker's inspect shapes (HostConfig.PortBindings, NetworkSettings). */
import type { ContainerRecord, Endpoint } from '../container/record.js';
import { portMap, type PortSpec } from './ports.js';
import { predefinedNetworks } from './store.js';

/** HostConfig.PortBindings: what was asked ("" for a port the kernel picks). */
export function portBindingsOf(specs: readonly PortSpec[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const map: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of specs) {
    const port = p.hostPort ? (p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : String(p.hostPort)) : '';
    (map[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: port });
  }
  return map;
}

/** NetworkSettings: the address and published ports while it runs, empty values once stopped (as docker). */
export function networkSettingsOf(record: ContainerRecord, running: boolean): Record<string, unknown> {
  const c = record.config;
  const e = running ? record.state.endpoint : undefined;
  const networkId = c.networkId ?? predefinedNetworks().find((n) => n.name === c.network)?.id ?? '';
  const entry = endpointEntry(record.id, networkId, c.ip, c.networkAliases, e);
  const extras = (c.extraNetworks ?? []).map((n) => {
    const ep = running ? record.state.extraEndpoints?.find((x) => x.networkId === n.networkId) : undefined;
    return [n.name, endpointEntry(record.id, n.networkId, n.ip, n.aliases, ep)] as const;
  });
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    Ports: e ? portMap(e.ports) : {},
    SandboxKey: '',
    // docker fills the top-level fields for the default network only.
    IPAddress: c.network === 'bridge' ? entry.IPAddress : '',
    IPPrefixLen: c.network === 'bridge' ? entry.IPPrefixLen : 0,
    Gateway: c.network === 'bridge' ? entry.Gateway : '',
    MacAddress: c.network === 'bridge' ? entry.MacAddress : '',
    Networks: Object.fromEntries([[c.network, entry], ...extras]),
  };
}

function endpointEntry(id: string, networkId: string, ip: string | undefined, aliases: string[] | undefined, e: Endpoint | undefined) {
  return {
    IPAMConfig: ip ? { IPv4Address: ip } : null,
    Links: null,
    Aliases: aliases?.length ? aliases : null,
    NetworkID: networkId,
    EndpointID: e ? id : '',
    Gateway: e?.gateway ?? '',
    IPAddress: e?.address ?? '',
    IPPrefixLen: e?.prefix ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: e?.mac ?? '',
    DriverOpts: null,
  };
}

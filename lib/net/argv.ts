/**
 * What racker asks of `ip` and `nft`, as text: pure builders, run by lib/net/kernel.ts.
 * Names: a network's bridge is racker0 (the default network) or rk-<12 hex of its ID>;
 * a container's namespace is racker-<12 hex> (its machine name) and the host end of its
 * veth pair rv<its address in 8 hex>: the kernel refuses a second link of one name, so
 * creating it claims the address, and the claim ends when the namespace does (the pair goes
 * with it): no lease file to leak. Its nft table is racker-<12 hex>. All fit in 15 characters.
 */
import type { PublishedPort } from './ports.js';

export interface Attachment {
  /** The container's ID (its first 12 hex name everything it owns). */
  id: string;
  bridge: string;
  /** "10.89.0.2", "10.89.0.1", 24. */
  address: string;
  gateway: string;
  prefix: number;
  subnet: string;
  mac: string;
  /** No route out (docker's --internal): no default route, no masquerade. */
  internal: boolean;
  ports: readonly PublishedPort[];
  /** eth0 for the container's first network; eth1… for networks connected later. */
  ifname: string;
  /** The first network: the default route, outbound NAT and published ports go through it. */
  primary: boolean;
}

export function netnsName(id: string): string {
  return `racker-${id.slice(0, 12)}`;
}

export function hostVethName(address: string): string {
  return `rv${address.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
}

/** rv0a590002 → "10.89.0.2"; undefined for other names. */
export function addressOfVeth(name: string): string | undefined {
  const m = /^rv([0-9a-f]{8})$/.exec(name);
  return m ? m[1]!.match(/../g)!.map((h) => Number.parseInt(h, 16)).join('.') : undefined;
}

export function nftTableName(id: string): string {
  return `racker-${id.slice(0, 12)}`;
}

/** `ip -batch -` lines making a bridge with the gateway address (the caller checks it is missing first). */
export function bridgeLines(bridge: string, gateway: string, prefix: number): string[] {
  return [`link add name ${bridge} type bridge`, `addr add ${gateway}/${prefix} dev ${bridge}`, `link set ${bridge} up`];
}

/**
 * `ip -batch -` lines, in the host's namespace: the container's namespace (unless made by an
 * earlier try, or the container runs: `netns` is then its PID 1's PID) and its veth pair,
 * host end on the bridge. The link's line is the claim.
 */
export function hostSideLines(a: Attachment, netns: { name: string; create: boolean } | { pid: number }): string[] {
  const target = 'pid' in netns ? String(netns.pid) : netns.name;
  const veth = hostVethName(a.address);
  return [
    ...('create' in netns && netns.create ? [`netns add ${netns.name}`] : []),
    `link add ${veth} type veth peer name ${a.ifname} address ${a.mac} netns ${target}`,
    `link set ${veth} master ${a.bridge} up`,
  ];
}

/** `ip -batch -` lines inside the container's namespace: loopback, the address, the default route (first network). */
export function containerSideLines(a: Attachment): string[] {
  const lines = [...(a.primary ? ['link set lo up'] : []), `addr add ${a.address}/${a.prefix} dev ${a.ifname}`, `link set ${a.ifname} up`];
  if (a.primary && !a.internal) lines.push(`route add default via ${a.gateway}`);
  return lines;
}

/**
 * The container's nft table, as ONE line for `nft -i` (one line, one transaction: all or
 * nothing). `flags owner`: the table belongs to the nft process that made it and vanishes
 * when that process ends, so the rules can never outlive the container's supervisor.
 * IPv4 only: published ports are DNATed for the host's IPv4 addresses (127.0.0.1 included,
 * with route_localnet on the bridge); IPv6 is served by the supervisor's forwarder.
 */
export function nftTableLine(a: Attachment): string {
  const t = nftTableName(a.id);
  const dnat: string[] = [];
  for (const p of a.ports) {
    if (p.hostIp.includes(':')) continue;
    const dest = p.hostIp ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
    dnat.push(`${dest} ${p.protocol} dport ${p.hostPort} dnat to ${a.address}:${p.containerPort}`);
  }
  const post: string[] = [];
  // Connections from the host's loopback or from the container's own network to a published
  // port: the container must answer through the gateway, so they leave with its address.
  if (dnat.length) post.push(`ip daddr ${a.address} ct status dnat ip saddr { 127.0.0.0/8, ${a.subnet} } masquerade`);
  if (!a.internal) post.push(`ip saddr ${a.address} ip daddr != ${a.subnet} masquerade`);
  // Networks are apart, as docker's: nothing from this container is forwarded into another
  // racker network's bridge, except to a published port (DNATed: meant to be reached).
  const isolate = [`ip saddr ${a.address} ct status dnat accept`, `ip saddr ${a.address} oifname "racker0" oifname != "${a.bridge}" drop`, `ip saddr ${a.address} oifname "rk-*" oifname != "${a.bridge}" drop`];
  const chain = (name: string, type: string, hook: string, priority: string, rules: string[]) =>
    `chain ${name} { type ${type} hook ${hook} priority ${priority}; ${rules.map((r) => `${r}; `).join('')}}; `;
  return `add table ip ${t} { flags owner; ${chain('prerouting', 'nat', 'prerouting', 'dstnat', dnat)}${chain('output', 'nat', 'output', '-100', dnat)}${chain('postrouting', 'nat', 'postrouting', 'srcnat', post)}${chain('forward', 'filter', 'forward', 'filter', isolate)}}`;
}

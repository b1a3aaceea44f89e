/**
 * racker's networks: the three docker has from the start (bridge, host, none) and the ones
 * users create (records in <lib>/networks/<id>.json). A bridge network's kernel side (its
 * Linux bridge) is made by lib/net/kernel.ts; this file only keeps the records.
 */
import { createHash, randomBytes } from '../startup/builtins.js';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { ConflictError, NotFoundError, RackerError, UsageError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { isValidName } from '../container/record.js';
import type { Paths } from '../state/paths.js';
import { firstHost, formatIPv4, formatSubnet, isHostAddress, overlaps, parseIPv4, parseSubnet, type Subnet } from './subnet.js';

export type Driver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: Driver;
  /** Bridge networks: "10.89.0.0/16", its gateway, the Linux bridge's name. */
  subnet?: string;
  gateway?: string;
  bridge?: string;
  /** No route out of the network (docker's --internal). */
  internal: boolean;
  labels: Record<string, string>;
  /** bridge, host and none: there from the start, never removed. */
  predefined: boolean;
}

/** The default network's subnet: private, clear of docker's 172.17/16 and podman's 10.88/16. */
export const DEFAULT_SUBNET = '10.89.0.0/16';
export const DEFAULT_BRIDGE = 'racker0';

/** A stable ID for a predefined network, so `network ls` and inspect agree across calls. */
function predefinedId(name: string): string {
  return createHash('sha256').update(`racker-network-${name}`).digest('hex');
}

export function predefinedNetworks(): NetworkRecord[] {
  const base = { created: '1970-01-01T00:00:00.000Z', internal: false, labels: {}, predefined: true };
  return [
    { ...base, id: predefinedId('bridge'), name: 'bridge', driver: 'bridge', subnet: DEFAULT_SUBNET, gateway: formatIPv4(firstHost(parseSubnet(DEFAULT_SUBNET))), bridge: DEFAULT_BRIDGE },
    { ...base, id: predefinedId('host'), name: 'host', driver: 'host' },
    { ...base, id: predefinedId('none'), name: 'none', driver: 'null' },
  ];
}

function recordFile(paths: Paths, id: string): string {
  return path.join(paths.networks, `${id}.json`);
}

export async function listNetworks(paths: Paths): Promise<NetworkRecord[]> {
  const names = await fs.readdir(paths.networks).catch(() => [] as string[]);
  const user = await Promise.all(
    names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).map((n) => readJson<NetworkRecord | undefined>(path.join(paths.networks, n), undefined).catch(() => undefined)),
  );
  return [...predefinedNetworks(), ...user.filter((n): n is NetworkRecord => n !== undefined).sort((a, b) => a.created.localeCompare(b.created))];
}

/** By name, full ID or unique ID prefix, like docker. */
export async function findNetwork(paths: Paths, nameOrId: string): Promise<NetworkRecord> {
  const all = await listNetworks(paths);
  const byName = all.find((n) => n.name === nameOrId);
  if (byName) return byName;
  if (/^[a-f0-9]{1,64}$/.test(nameOrId)) {
    const matches = all.filter((n) => n.id.startsWith(nameOrId));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new UsageError(`network ${nameOrId} is ambiguous (${matches.length} matches found based on ID prefix)`);
  }
  throw new NotFoundError(`network ${nameOrId} not found`);
}

/** docker's rule for network names. */
export function validateNetworkName(name: string): void {
  if (!isValidName(name)) {
    throw new UsageError(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at most 128 characters)`);
  }
}

/** The host's IPv4 routes (/proc/net/route: little-endian hex), as subnets a new network must not overlap. */
export function hostRoutes(text = readFileSync('/proc/net/route', 'utf8')): { iface: string; subnet: Subnet }[] {
  const swap = (hex: string) => Number.parseInt(hex.match(/../g)!.reverse().join(''), 16) >>> 0;
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] !== '00000000')
    .map((f) => {
      const mask = swap(f[7]!);
      const prefix = mask.toString(2).replace(/0+$/, '').length;
      return { iface: f[0]!, subnet: { base: swap(f[1]!), prefix } };
    });
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  driver?: string;
}

/** The first 10.90.N.0/24 clear of every network and host route. */
function freeSubnet(taken: readonly Subnet[]): Subnet {
  for (let n = 0; n < 256; n++) {
    const candidate = parseSubnet(`10.90.${n}.0/24`);
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new RackerError('no free subnet left in 10.90.0.0/16 for a new network: give one with --subnet');
}

/** Check and store a new bridge network (kernel.ts makes its bridge). */
export async function createNetwork(ctx: Context, opts: CreateNetworkOptions): Promise<NetworkRecord> {
  validateNetworkName(opts.name);
  if (opts.driver !== undefined && opts.driver !== 'bridge') throw new UsageError(`network driver ${opts.driver} is not supported: racker makes bridge networks`);
  const asked = opts.subnet === undefined ? undefined : parseSubnet(opts.subnet);
  if (opts.gateway !== undefined && !asked) throw new UsageError('--gateway needs --subnet');
  return withLock(ctx.paths.lock('networks'), async () => {
    const all = await listNetworks(ctx.paths);
    if (all.some((n) => n.name === opts.name)) throw new ConflictError(`network with name ${opts.name} already exists`);
    const inUse = [
      ...all.flatMap((n) => (n.subnet ? [{ what: `network ${n.name}`, subnet: parseSubnet(n.subnet) }] : [])),
      // Bridges of other racker stores (RACKER_ROOT) are routes like any other.
      ...hostRoutes().map((r) => ({ what: `the host's route on ${r.iface}`, subnet: r.subnet })),
    ];
    let subnet: Subnet;
    if (asked) {
      const clash = inUse.find((u) => overlaps(u.subnet, asked));
      if (clash) throw new RackerError(`invalid pool request: subnet ${formatSubnet(asked)} overlaps with ${clash.what} (${formatSubnet(clash.subnet)})`);
      subnet = asked;
    } else subnet = freeSubnet(inUse.map((u) => u.subnet));
    let gateway = firstHost(subnet);
    if (opts.gateway !== undefined) {
      const g = parseIPv4(opts.gateway);
      if (g === undefined || !isHostAddress(subnet, g)) throw new UsageError(`invalid gateway ${opts.gateway}: not a host address of ${formatSubnet(subnet)}`);
      gateway = g;
    }
    const id = randomBytes(32).toString('hex');
    const record: NetworkRecord = {
      id,
      name: opts.name,
      created: ctx.clock().toISOString(),
      driver: 'bridge',
      subnet: formatSubnet(subnet),
      gateway: formatIPv4(gateway),
      bridge: `rk-${id.slice(0, 12)}`,
      internal: Boolean(opts.internal),
      labels: opts.labels ?? {},
      predefined: false,
    };
    await writeJsonAtomic(recordFile(ctx.paths, id), record);
    return record;
  });
}

export async function deleteNetworkRecord(paths: Paths, id: string): Promise<void> {
  await fs.rm(recordFile(paths, id), { force: true });
}

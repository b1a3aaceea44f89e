/**
 * IPv4 subnets as racker's networks use them: parse and check CIDRs, pick host addresses,
 * derive a container's MAC from its address (docker's 02:42 prefix, so `inspect` can say it
 * before the interface exists). Pure; the kernel never sees anything from here unchecked.
 */
import { UsageError } from '../errors.js';

export interface Subnet {
  /** The network address as a 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** "10.0.0.1" → number, or undefined when it isn't a dotted IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0;
}

/** "10.89.1.0/24" → a Subnet; the address must be the network's own (docker refuses 10.89.1.5/24 too). */
export function parseSubnet(text: string): Subnet {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  const addr = m ? parseIPv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(prefix >= 8 && prefix <= 30)) {
    throw new UsageError(`invalid subnet ${JSON.stringify(text)}: give an IPv4 network as A.B.C.D/N with N from 8 to 30`);
  }
  if ((addr & mask(prefix)) >>> 0 !== addr) {
    throw new UsageError(`invalid subnet ${text}: the address is not the network's (did you mean ${formatIPv4((addr & mask(prefix)) >>> 0)}/${prefix}?)`);
  }
  return { base: addr, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIPv4(s.base)}/${s.prefix}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, addr: number): boolean {
  return ((addr & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** A usable host address (not the network's own, not broadcast). */
export function isHostAddress(s: Subnet, addr: number): boolean {
  return contains(s, addr) && addr !== s.base && addr !== s.base + size(s) - 1;
}

/** The gateway docker picks: the first host address. */
export function firstHost(s: Subnet): number {
  return s.base + 1;
}

/** The lowest host address not in `taken`, or undefined when the subnet is full. */
export function lowestFree(s: Subnet, taken: ReadonlySet<number>): number | undefined {
  for (let a = s.base + 1; a < s.base + size(s) - 1; a++) if (!taken.has(a)) return a;
  return undefined;
}

/** docker's scheme: 02:42 and the four octets of the address. */
export function macFor(addr: number): string {
  return ['02', '42', ...formatIPv4(addr).split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

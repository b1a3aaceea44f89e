/**
 * `-p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]` as docker reads it, ranges included, and the
 * shapes docker shows published ports in (ps's PORTS column, `port`, inspect's Ports).
 * Pure: binding the host ports is lib/net/publish.ts's work.
 */
import { isIPv6 } from 'node:net';
import { UsageError } from '../errors.js';
import { parseIPv4 } from './subnet.js';

export type Protocol = 'tcp' | 'udp';

/** One container port published on the host. */
export interface PortSpec {
  /** '' for every address of the host (docker's 0.0.0.0 and ::). */
  hostIp: string;
  /** 0: a free port the kernel picks. With hostPortEnd: the first free one of the range. */
  hostPort: number;
  hostPortEnd?: number;
  containerPort: number;
  protocol: Protocol;
}

/** A PortSpec once its host port is bound: what ps, port and inspect show. */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

function portNumber(text: string, what: 'hostPort' | 'containerPort', spec: string): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`invalid ${what}: ${text || spec} (ports are 1 to 65535)`);
  return n;
}

function portRange(text: string, what: 'hostPort' | 'containerPort', spec: string): [number, number] {
  const [a, b, ...rest] = text.split('-');
  if (rest.length) throw new UsageError(`invalid ${what}: ${text}`);
  const start = portNumber(a!, what, spec);
  const end = b === undefined ? start : portNumber(b, what, spec);
  if (end < start) throw new UsageError(`invalid ${what}: ${text} (the range ends before it starts)`);
  return [start, end];
}

/** [::1]:8080:80 and 127.0.0.1:8080:80: the address part, with IPv6 in brackets. */
function splitAddress(spec: string): { ip: string; rest: string } {
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']:');
    const ip = close > 0 ? spec.slice(1, close) : '';
    if (!isIPv6(ip)) throw new UsageError(`invalid IP address in ${spec}`);
    return { ip, rest: spec.slice(close + 2) };
  }
  const parts = spec.split(':');
  if (parts.length === 3) {
    const ip = parts[0]!;
    if (ip !== '' && parseIPv4(ip) === undefined) throw new UsageError(`invalid IP address: ${ip}`);
    return { ip, rest: parts.slice(1).join(':') };
  }
  if (parts.length > 3) throw new UsageError(`invalid port specification: ${spec} (an IPv6 address goes in brackets: [::1]:8080:80)`);
  return { ip: '', rest: spec };
}

/** One -p value, expanded to one PortSpec per container port. */
export function parsePublish(spec: string): PortSpec[] {
  const slash = spec.lastIndexOf('/');
  const proto = slash >= 0 ? spec.slice(slash + 1).toLowerCase() : 'tcp';
  const body = slash >= 0 ? spec.slice(0, slash) : spec;
  if (proto === 'sctp') throw new UsageError(`${spec}: racker publishes tcp and udp ports, not sctp`);
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`invalid proto: ${proto}`);
  if (!body) throw new UsageError(`no port specified: ${spec}`);
  const { ip, rest } = splitAddress(body);
  const colon = rest.lastIndexOf(':');
  const hostText = colon >= 0 ? rest.slice(0, colon) : '';
  const [cStart, cEnd] = portRange(colon >= 0 ? rest.slice(colon + 1) : rest, 'containerPort', spec);
  const hostIp = ip === '0.0.0.0' ? '' : ip;
  if (!hostText) {
    return range(cStart, cEnd).map((containerPort) => ({ hostIp, hostPort: 0, containerPort, protocol: proto }));
  }
  const [hStart, hEnd] = portRange(hostText, 'hostPort', spec);
  if (cStart === cEnd && hEnd > hStart) return [{ hostIp, hostPort: hStart, hostPortEnd: hEnd, containerPort: cStart, protocol: proto }];
  if (hEnd - hStart !== cEnd - cStart) {
    throw new UsageError(`invalid ranges specified for container and host ports: ${cStart}-${cEnd} and ${hStart}-${hEnd}`);
  }
  return range(cStart, cEnd).map((containerPort, i) => ({ hostIp, hostPort: hStart + i, containerPort, protocol: proto }));
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

/** The image's ExposedPorts keys ("80/tcp", "53/udp", "8080") for -P. */
export function exposedPorts(exposed: Record<string, unknown> | undefined): PortSpec[] {
  return Object.keys(exposed ?? {}).flatMap((key) => {
    const [port, proto = 'tcp'] = key.split('/');
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535 || (proto !== 'tcp' && proto !== 'udp')) return [];
    return [{ hostIp: '', hostPort: 0, containerPort: n, protocol: proto }];
  });
}

/** The same host port asked twice for one protocol and address fails like docker, before anything is bound. */
export function checkDistinct(specs: readonly PortSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    // A range gives each spec its own free port of it (bindSpec tries them in turn).
    if (!s.hostPort || s.hostPortEnd) continue;
    const key = `${s.hostIp}|${s.hostPort}|${s.protocol}`;
    if (seen.has(key)) throw new UsageError(`Bind for ${s.hostIp || '0.0.0.0'}:${s.hostPort} failed: port is already allocated`);
    seen.add(key);
  }
}

/** The addresses docker lists a binding under: both families for "every address". */
export function shownAddresses(p: PublishedPort): string[] {
  return p.hostIp ? [p.hostIp] : ['0.0.0.0', '::'];
}

function hostPart(ip: string, port: number): string {
  return ip.includes(':') ? (ip === '::' ? `:::${port}` : `[${ip}]:${port}`) : `${ip}:${port}`;
}

/** ps's PORTS column: "0.0.0.0:8080->80/tcp, :::8080->80/tcp". */
export function portsColumn(ports: readonly PublishedPort[]): string {
  return ports.flatMap((p) => shownAddresses(p).map((ip) => `${hostPart(ip, p.hostPort)}->${p.containerPort}/${p.protocol}`)).join(', ');
}

/** `racker port C`: "80/tcp -> 0.0.0.0:8080" lines; with a port asked, only the host side. */
export function portLines(ports: readonly PublishedPort[], asked?: { port: number; protocol: Protocol }): string[] {
  // By container port, as docker lists them.
  const chosen = (asked ? ports.filter((p) => p.containerPort === asked.port && p.protocol === asked.protocol) : [...ports]).sort(
    (a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol),
  );
  return chosen.flatMap((p) => shownAddresses(p).map((ip) => (asked ? hostPart(ip, p.hostPort) : `${p.containerPort}/${p.protocol} -> ${hostPart(ip, p.hostPort)}`)));
}

/** inspect's NetworkSettings.Ports: {"80/tcp": [{HostIp, HostPort}]}. */
export function portMap(ports: readonly PublishedPort[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const map: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    for (const ip of shownAddresses(p)) (map[key] ??= []).push({ HostIp: ip, HostPort: String(p.hostPort) });
  }
  return map;
}

/**
 * /etc/hosts and /etc/resolv.conf of a container on a bridge network, as docker writes them:
 * the container's own name and hostname resolve to its address, peers on a user network by
 * name, alias and short ID; the resolver is the host's upstream one (a 127.x stub would
 * point into the container's own loopback).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export interface HostEntry {
  address: string;
  names: readonly string[];
}

export function hostsFile(own: HostEntry, peers: readonly HostEntry[], extra: readonly HostEntry[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra.map((e) => `${e.address}\t${e.names.join(' ')}`),
    `${own.address}\t${[...new Set(own.names)].join(' ')}`,
    ...peers.map((p) => `${p.address}\t${[...new Set(p.names)].join(' ')}`),
  ];
  return `${lines.join('\n')}\n`;
}

function nameservers(text: string): string[] {
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
}

function isLoopback(server: string): boolean {
  return server.startsWith('127.') || server === '::1';
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The host's resolv.conf without loopback servers; when only a stub was left (systemd-resolved
 * at 127.0.0.53), the upstream list it uses; when nothing at all, docker's fallback.
 */
export function resolvConf(dns: readonly string[], host = readOr('/etc/resolv.conf'), upstream = () => readOr('/run/systemd/resolve/resolv.conf')): string {
  const keep = (text: string) => text.split('\n').filter((l) => !/^\s*nameserver\s/.test(l) || !isLoopback(l.trim().split(/\s+/)[1] ?? ''));
  let base = keep(host);
  let servers = nameservers(host).filter((s) => !isLoopback(s));
  if (!servers.length) {
    const up = upstream();
    base = keep(up);
    servers = nameservers(up).filter((s) => !isLoopback(s));
  }
  const options = base.filter((l) => /^\s*(search|domain|options)\s/.test(l));
  const chosen = dns.length ? dns : servers.length ? servers : ['8.8.8.8', '8.8.4.4'];
  return `${[...options, ...chosen.map((s) => `nameserver ${s}`)].join('\n')}\n`;
}

/** docker's special --add-host value: the host as the container reaches it (its network's gateway). */
export const HOST_GATEWAY = 'host-gateway';

/** --add-host NAME:IP (docker also takes NAME=IP, and NAME:host-gateway). */
export function parseAddHost(spec: string): HostEntry {
  const m = /^([^:=\s]+)[:=](\S+)$/.exec(spec);
  const address = m?.[2]?.replace(/^\[(.*)\]$/, '$1');
  if (!m || !address || (!isIP(address) && address !== HOST_GATEWAY)) throw new UsageError(`invalid argument ${JSON.stringify(spec)} for --add-host: use NAME:IP`);
  return { address, names: [m[1]!] };
}

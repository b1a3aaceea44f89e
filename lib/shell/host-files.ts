/**
 * The host's /etc/hosts in a racker shell (toolbox and distrobox give theirs the host's): its
 * entries that name another machine, as --add-host entries of the shell, so racker's own
 * /etc/hosts writer keeps them through every rewrite (lib/net/hosts.ts). Loopback entries stay
 * out: on racker's network 127.0.0.1 inside is the shell's own loopback, not the host.
 */
import { isIP } from 'node:net';

const LOOPBACK = /^(127\.|::1$|0\.0\.0\.0$|::$)/;
/** IPv6 multicast and link-local names every hosts file carries (ip6-allnodes, …): racker writes its own. */
const SPECIAL = /^(ff0[0-9a-f]:|fe00:)/i;

/** "NAME:IP" for each name of each entry that names another machine. Pure. */
export function hostEntries(hostsText: string): string[] {
  const out: string[] = [];
  for (const raw of hostsText.split('\n')) {
    const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !names.length || !isIP(address) || LOOPBACK.test(address) || SPECIAL.test(address)) continue;
    for (const name of names) if (/^[A-Za-z0-9._-]+$/.test(name)) out.push(`${name}:${address}`);
  }
  return out;
}

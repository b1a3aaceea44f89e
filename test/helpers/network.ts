/**
 * What container networking may leave in the kernel: racker's links (veth host ends rv…,
 * user bridges rk-…), named namespaces racker-…, nft tables racker-…. Tests take a census
 * before and compare after (other tests' leftovers are not theirs to judge).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import { networkInterfaces } from 'node:os';

export interface NetCensus {
  links: string[];
  namespaces: string[];
  tables: string[];
}

/**
 * The names of nft's tables. Plain text, not -j: nft 1.0.6's JSON listing crashed now and then
 * ("corrupted double-linked list") while other tables came and went; read again if it fails.
 */
function nftTableNames(): string[] {
  for (let attempt = 0; ; attempt++) {
    try {
      const text = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return text.split('\n').flatMap((l) => {
        const m = /^table \S+ (\S+)$/.exec(l.trim());
        return m ? [m[1]!] : [];
      });
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

export function netCensus(): NetCensus {
  const links = readdirSync('/sys/class/net').filter((n) => /^(rv[0-9a-f]{8}|rk-[0-9a-f]{12})$/.test(n)).sort();
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('racker-')).sort() : [];
  const tables = nftTableNames().filter((n) => n.startsWith('racker-')).sort();
  return { links, namespaces, tables };
}

/** What is in `after` and was not in `before` (another run's leftovers may go meanwhile: not ours to judge). */
export function newSince(before: NetCensus, after: NetCensus = netCensus()): NetCensus {
  const added = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  return { links: added(before.links, after.links), namespaces: added(before.namespaces, after.namespaces), tables: added(before.tables, after.tables) };
}

export const NOTHING: NetCensus = { links: [], namespaces: [], tables: [] };

/** TCP ports something listens on (ss), to see a published port released. */
export function listeningPorts(): number[] {
  const text = execFileSync('ss', ['-Htln'], { encoding: 'utf8' });
  // State Recv-Q Send-Q Local:Port Peer:Port
  return text.split('\n').flatMap((l) => {
    const local = l.trim().split(/\s+/)[3];
    return local ? [Number(local.slice(local.lastIndexOf(':') + 1))] : [];
  });
}

/** The host's own first non-loopback IPv4 address (published ports answer there too). */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.89.') && !a.address.startsWith('10.90.')) return a.address;
  }
  throw new Error('no non-loopback IPv4 address on this host');
}

/** GET url: "STATUS BODY", or the error's code (ECONNREFUSED, …). */
export function httpGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  });
}

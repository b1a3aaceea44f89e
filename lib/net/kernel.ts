/**
 * Running what argv.ts builds: `ip` for bridges, namespaces and veth pairs, `nft -i` for a
 * container's NAT table, /proc/sys for the two switches a bridge needs. Everything here is
 * idempotent or claimed atomically by the kernel, so concurrent racker processes (other
 * stores too: the kernel's names are shared) never get in each other's way.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { childProcess } from '../startup/builtins.js';
import { CommandError, RackerError } from '../errors.js';
import { addressOfVeth, bridgeLines, containerSideLines, hostSideLines, hostVethName, netnsName, nftTableLine, nftTableName, type Attachment } from './argv.js';

/** `ip -batch -` in the host's namespace, a named one (-n), or a running container's (through nsenter). */
async function ipBatch(ctx: Context, lines: readonly string[], netns?: string | { pid: number }): Promise<void> {
  const prefix = netns === undefined ? ['ip'] : typeof netns === 'string' ? ['ip', '-n', netns] : ['nsenter', `--net=/proc/${netns.pid}/ns/net`, '--', 'ip'];
  await ctx.run([...prefix, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

function setSysctl(path: string, value: string): void {
  writeFileSync(`/proc/sys/net/${path}`, value);
}

/**
 * The bridge of a network, with its gateway address, made if missing. Forwarding on (docker
 * does the same), and route_localnet on the bridge: 127.0.0.1 may then be DNATed to a
 * container (published ports answer on localhost).
 */
export async function ensureBridge(ctx: Context, bridge: string, gateway: string, prefix: number): Promise<void> {
  if (!linkExists(bridge)) {
    try {
      await ipBatch(ctx, bridgeLines(bridge, gateway, prefix));
    } catch (err) {
      // Another racker made it at the same moment: give its batch (address, up) a moment to end.
      if (!(err instanceof CommandError) || !/File exists/.test(err.stderr)) throw err;
      await sleep(50);
    }
  }
  setSysctl('ipv4/ip_forward', '1');
  setSysctl(`ipv4/conf/${bridge}/route_localnet`, '1');
}

export async function deleteBridge(ctx: Context, bridge: string): Promise<void> {
  if (linkExists(bridge)) await ctx.run(['ip', 'link', 'delete', bridge, 'type', 'bridge']);
}

/** Addresses claimed right now by a container's veth (any store's: the names are the kernel's). */
export function claimedAddresses(): Set<string> {
  const names = readdirSync('/sys/class/net');
  return new Set(names.map(addressOfVeth).filter((a): a is string => a !== undefined));
}

/**
 * Give the container a veth pair with `a.address` (making its namespace first unless
 * `namespaceMade`, or into a running container's: `running` is its PID 1); false when that
 * address was claimed by someone else first (the caller picks another). A made namespace
 * stays named until the container's processes are in it (releaseNamespaceName).
 */
export async function claimAndConnect(ctx: Context, a: Attachment, namespaceMade: boolean, running?: number): Promise<boolean> {
  const netns = running !== undefined ? { pid: running } : { name: netnsName(a.id), create: !namespaceMade };
  const lines = hostSideLines(a, netns);
  try {
    await ipBatch(ctx, lines);
  } catch (err) {
    if (err instanceof CommandError && /File exists/.test(err.stderr) && /-:\d+/.test(err.stderr)) {
      const failedLine = Number(/-:(\d+)/.exec(err.stderr)![1]);
      // The link's line failed: the address is taken. A namespace made by line 1 stands.
      if (lines[failedLine - 1]?.startsWith('link add ')) return false;
    }
    throw err;
  }
  await ipBatch(ctx, containerSideLines(a), running !== undefined ? { pid: running } : netnsName(a.id));
  return true;
}

/** Take a connected network away from a running container: its veth pair goes (both ends). */
export async function disconnectVeth(ctx: Context, address: string): Promise<void> {
  const veth = hostVethName(address);
  if (linkExists(veth)) await ctx.run(['ip', 'link', 'delete', veth]);
}

export function namespacePath(id: string): string {
  return `/run/netns/${netnsName(id)}`;
}

/**
 * Remove the namespace's name: once the container's processes are in it, it lives exactly as
 * long as they do, and its veth pair with it. Harmless when already gone.
 */
export async function releaseNamespaceName(ctx: Context, id: string): Promise<void> {
  if (existsSync(namespacePath(id))) await ctx.run(['ip', 'netns', 'delete', netnsName(id)], { reject: false });
}

/** A named racker namespace older than this with no process in it was left by a killed racker. */
const ORPHAN_AGE_MS = 60_000;

/** The inodes of every process's network namespace (to see which named ones are empty). */
function namespacesInUse(): Set<number> {
  const inodes = new Set<number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      inodes.add(statSync(`/proc/${pid}/ns/net`).ino);
    } catch {
      // gone meanwhile
    }
  }
  return inodes;
}

/**
 * Named namespaces a killed racker left (and their veth pairs with them): removed; returns
 * their names. `owner(id12)` says whether the container's racker is alive (true: keep), dead
 * (false: remove now), or unknown (another store's, or a start not yet recorded): then a
 * namespace is removed only once nothing is in it and it is older than any start takes.
 */
export async function removeOrphanedNamespaces(ctx: Context, owner: (id12: string) => boolean | undefined = () => undefined): Promise<string[]> {
  const names = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => /^racker-[a-f0-9]{12}$/.test(n)) : [];
  if (!names.length) return [];
  let inUse: Set<number> | undefined;
  const removed: string[] = [];
  for (const name of names) {
    const alive = owner(name.slice('racker-'.length));
    if (alive === true) continue;
    if (alive === undefined) {
      try {
        const st = statSync(`/run/netns/${name}`);
        inUse ??= namespacesInUse();
        if (Date.now() - st.mtimeMs < ORPHAN_AGE_MS || inUse.has(st.ino)) continue;
      } catch {
        continue;
      }
    }
    await ctx.run(['ip', 'netns', 'delete', name], { reject: false });
    removed.push(name);
  }
  return removed;
}

/** The running `nft -i` that owns a container's table: the table goes when it ends. */
export interface NftOwner {
  close(): void;
}

/**
 * Load the container's table into an `nft -i` this process keeps running. Its stdin is a pipe
 * from us: when this process dies (even by SIGKILL) nft reads end of file and exits, and the
 * kernel drops the table (flags owner).
 */
export async function startNftOwner(ctx: Context, a: Attachment): Promise<NftOwner> {
  const table = nftTableName(a.id);
  const line = nftTableLine(a);
  ctx.log.debug(`nft -i <<< ${line}`);
  let child: ChildProcess;
  try {
    child = childProcess().spawn('nft', ['-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new RackerError(`nft could not be started: ${String(err)}`);
  }
  let out = '';
  let errText = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new RackerError('nft is not installed', { hint: 'install it with: apt-get install nftables' }) : err),
    );
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      // The listing asked for after the table ends with its closing brace: the table is in place.
      if (new RegExp(`^table ip ${table} \\{[\\s\\S]*\\n\\}\\n$`).test(out)) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => {
      errText += c.toString();
      if (/Error:/.test(errText)) reject(new RackerError(`nft refused the container's rules: ${errText.split('\n')[0]}`));
    });
    child.on('exit', () => reject(new RackerError(`nft ended before the container's rules were in place: ${errText.split('\n')[0] ?? ''}`)));
  });
  child.stdin!.on('error', () => undefined);
  child.stdin!.write(`${line}\nlist table ip ${table}\n`);
  try {
    await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    close: () => {
      child.stdin!.end();
      child.kill('SIGTERM');
    },
  };
}

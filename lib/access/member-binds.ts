/**
 * A member's host paths in their containers (`-v ~/src:/src`, racker shell's home). A racker
 * container has no user namespace, so a plain bind would let its root read and write the path
 * as the host's root. A member's bind is therefore:
 *
 * - opened by a process running as the member (setpriv, their uid, gid and groups), so the
 *   path is resolved with their rights, links and `..` included: what they cannot open, their
 *   container does not get (/root, /etc/shadow, another user's private home);
 * - mounted ID-mapped (native/idmap.c), with the member as the only id mapped: the container's
 *   user (root by default, the caller's account in racker shell) owns the member's files and
 *   writes as the member; every other owner shows as nobody, and the container's root has no
 *   capability over those files (it reads only what "other" may read, creates nothing as root);
 * - nosuid and nodev.
 *
 * The path is opened at create (to refuse at once, one line, before anything is made; a missing
 * directory is made then, by the member, as docker makes one) and again at every start.
 */
import { promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import type { Bind, BindUser } from '../tools/nspawn.js';
import { asCallerArgv, saysReady, spawnAsCaller } from './as-caller.js';
import { nativeAddon } from './native.js';
import { RefusedForCaller } from './policy.js';

type Addon = { idmappedBind(source: string, target: string, uidMap: string, gidMap: string, readOnly: boolean): void };

/** Whether this build can mount a member's paths (the native piece was compiled). */
export function memberBindsAvailable(): boolean {
  return nativeAddon<Addon>('idmap') !== null;
}

/**
 * The user namespace maps of a member's bind: one id each, the container's user inside, the
 * member outside. ("INSIDE OUTSIDE 1" written as the mount's user namespace sees it: the
 * mount's namespace id `hostUid` is the container's `uid`.) Pure.
 */
export function bindMaps(user: BindUser): { uidMap: string; gidMap: string } {
  return { uidMap: `${user.hostUid} ${user.uid} 1\n`, gidMap: `${user.hostGid} ${user.gid} 1\n` };
}

/**
 * Run as the member: make a missing directory (docker does, for a bind's source), open the
 * path on descriptor 3, say `ready`, and hold it until stdin closes. A read-write bind the
 * member could not write is refused here (the kernel would refuse each write anyway). Only
 * directories and regular files are opened: a FIFO would block the open.
 */
const HOLDER = [
  'p=$1',
  '[ -e "$p" ] || [ -L "$p" ] || mkdir -p -- "$p" || exit 1',
  'if ! [ -d "$p" ] && ! [ -f "$p" ]; then echo "not a directory or a regular file" >&2; exit 1; fi',
  'exec 3<"$p" || exit 1',
  'if [ "$2" = rw ] && ! [ -w /dev/fd/3 ]; then echo "you may not write to it (mount it read-only: :ro)" >&2; exit 1; fi',
  'echo ready',
  'exec cat >/dev/null',
].join('\n');

/** The holder's argv for `hostPath`, run as `user`. Pure. */
export function holderArgv(user: BindUser, hostPath: string, readOnly: boolean): string[] {
  return asCallerArgv({ uid: user.hostUid, gid: user.hostGid }, ['sh', '-c', HOLDER, 'sh', hostPath, readOnly ? 'ro' : 'rw']);
}

/** dash's "sh: 1: cannot open /root/x: Permission denied" → "Permission denied". Pure. */
export function holderWhy(stderr: string): string {
  const line = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  const m = /^sh: \d+: (?:cannot (?:open|create) .*?|mkdir: .*?|.*?): (.+)$/.exec(line);
  return (m ? m[1]! : line.replace(/^mkdir: /, '')) || 'it cannot be opened';
}

interface Held {
  /** The member's descriptor of the path, as the host root may open it (/proc/PID/fd/3). */
  source: string;
  release(): Promise<void>;
}

/** Open `b.host` as its member; refuses (RefusedForCaller) with the reason when they cannot. */
async function holdAsMember(b: Bind & { asUser: BindUser }, timeoutMs = 15_000): Promise<Held> {
  const p = spawnAsCaller(holderArgv(b.asUser, b.host, b.readOnly));
  const ready = await saysReady(p, timeoutMs);
  const release = async () => {
    p.child.stdin!.end();
    p.child.kill('SIGKILL');
    await p.exited;
  };
  if (!ready) {
    await release();
    // setpriv not started: its error's words, else what the holder said.
    const why = (await p.exited).error?.message || p.stderr;
    throw new RefusedForCaller(`cannot bind ${b.host}: ${holderWhy(why || 'it did not open in time')}`);
  }
  return { source: `/proc/${p.child.pid}/fd/3`, release };
}

/** At create: refuse now what a start would refuse (and make a missing directory, as the member). */
export async function checkMemberBind(b: Bind & { asUser: BindUser }): Promise<void> {
  if (!memberBindsAvailable()) throw new RefusedForCaller(`bind mounts of host paths (${b.host}) need racker's native idmap piece, which this build lacks (apt-get install gcc libc6-dev, then npm run build)`);
  await (await holdAsMember(b)).release();
}

/**
 * At start: mount each member's bind ID-mapped under `dir` (the container's runtime directory,
 * unmounted with its root: rootfs.ts), and give nspawn those mounts instead of the paths.
 */
export async function stageMemberBinds(ctx: Context, dir: string, binds: readonly Bind[]): Promise<Bind[]> {
  const out: Bind[] = [];
  for (const [i, b] of binds.entries()) {
    if (!b.asUser) {
      out.push(b);
      continue;
    }
    const addon = nativeAddon<Addon>('idmap');
    if (!addon) throw new RefusedForCaller(`bind mounts of host paths (${b.host}) need racker's native idmap piece, which this build lacks`);
    let held: Held;
    try {
      held = await holdAsMember({ ...b, asUser: b.asUser });
    } catch (err) {
      // An optional bind (a desktop session's sockets) the member cannot open now is left out.
      if (!b.optional || !(err instanceof RefusedForCaller)) throw err;
      ctx.log.debug(`optional bind ${b.host} left out: ${err.message}`);
      continue;
    }
    try {
      const target = path.join(dir, String(i));
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // The mount point's kind must be the source's: a file over a file, a directory over a directory.
      if (statSync(held.source).isDirectory()) await fs.mkdir(target).catch(ignoreExists);
      else await fs.writeFile(target, '', { flag: 'a' });
      const { uidMap, gidMap } = bindMaps(b.asUser);
      try {
        addon.idmappedBind(held.source, target, uidMap, gidMap, b.readOnly);
      } catch (err) {
        const why = (err as Error).message;
        if (b.optional) {
          ctx.log.debug(`optional bind ${b.host} left out: ${why}`);
          continue;
        }
        // EINVAL from mount_setattr: a filesystem without ID-mapped mounts (NFS, FUSE, …).
        throw new RefusedForCaller(`cannot bind ${b.host}: ${/mount_setattr.*Invalid argument/.test(why) ? 'its filesystem does not support ID-mapped mounts' : why}`);
      }
      ctx.log.debug(`member bind ${b.host} → ${target} (uid ${b.asUser.hostUid} as ${b.asUser.uid})`);
      out.push({ ...b, host: target });
    } finally {
      await held.release();
    }
  }
  return out;
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}

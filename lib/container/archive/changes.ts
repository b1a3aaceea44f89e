/**
 * GET /containers/{id}/changes and `racker diff`: what the container changed, read from its
 * overlay's upper directory as dockerd's overlay driver does. In the upper directory a
 * character device 0/0 is a whiteout (the file was deleted) and a directory with the
 * `trusted.overlay.opaque` attribute replaced the image's directory of that name.
 *
 * Node can't read extended attributes, so an opaque directory is recognised by what it does:
 * a name in the image's directory that the merged view no longer shows and that has no
 * whiteout. (An opaque directory over an empty one hides nothing and is reported as changed,
 * not deleted.)
 *
 * Files racker itself writes into the container's layer — /etc/hostname, /etc/hosts,
 * /etc/resolv.conf; docker bind-mounts them, so its diff never shows them — and the empty
 * directories racker and systemd-nspawn add to an image that lacks them (/usr, /run, /var,
 * /root, …: nspawn's mount points) are not changes the user made, and are left out.
 */
import { closeSync, constants as c, fstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import type { Context } from '../../context.js';
import { fdPath } from '../../fs/in-root.js';
import type { ContainerRecord } from '../record.js';
import { upperDir } from '../rootfs.js';
import { withContainerRoot } from './access.js';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const LOOKUP = O_PATH | c.O_NOFOLLOW | O_CLOEXEC;

/** docker's kinds: 0 modified, 1 added, 2 deleted. */
export type ChangeKind = 0 | 1 | 2;

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/** One entry of the upper directory, as the pure part needs it. */
export interface UpperEntry {
  path: string;
  isDir: boolean;
  /** A whiteout (char device 0/0), or an opaque directory: docker says "deleted". */
  deleted: boolean;
  /** The image has something at this path. */
  inLower: boolean;
  /** A directory in both whose mode, owner and time are the image's: not a change by itself. */
  sameDir: boolean;
}

/** Written by racker, not by the container's processes (see the top of this file). */
export const RACKER_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/** Empty directories racker (/usr) and systemd-nspawn (mount points) add when the image has none. */
const NSPAWN_DIRS = new Set(['/usr', '/run', '/var', '/var/tmp', '/root', '/tmp', '/proc', '/sys', '/dev']);

/**
 * dockerd's rule over the entries in walk order (parents before children): a whiteout is D;
 * else A, or C when the image had the path — except a directory unchanged in itself; and the
 * parent of an A or D is C (once), even when its own time did not change.
 */
export function changesOf(entries: readonly UpperEntry[]): Change[] {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  for (const e of entries) {
    let kind: ChangeKind;
    if (e.deleted) kind = 2;
    else if (!e.inLower) kind = 1;
    else if (e.isDir && e.sameDir) continue;
    else kind = 0;
    if (e.isDir) changedDirs.add(e.path);
    if (kind !== 0) {
      const parent = e.path.slice(0, e.path.lastIndexOf('/')) || '/';
      if (parent !== '/' && !changedDirs.has(parent)) {
        changes.push({ Path: parent, Kind: 0 });
        changedDirs.add(parent);
      }
    }
    changes.push({ Path: e.path, Kind: kind });
  }
  return changes;
}

/** docker diff's line: "C /etc". */
export function changeLine(c: Change): string {
  return `${'CAD'[c.Kind]} ${c.Path}`;
}

function lookup(dirFd: number | undefined, name: string): { fd: number; st: Stats } | undefined {
  if (dirFd === undefined) return undefined;
  try {
    const fd = openSync(fdPath(dirFd, name), LOOKUP);
    return { fd, st: fstatSync(fd) };
  } catch {
    return undefined;
  }
}

function names(fd: number | undefined): string[] {
  if (fd === undefined) return [];
  try {
    return readdirSync(fdPath(fd));
  } catch {
    return [];
  }
}

/**
 * The entries of the upper directory `upperFd`, with the image's root `lowerFd` and the
 * merged view `mergedFd` beside it; every lookup by descriptor, nothing followed.
 */
export function upperEntries(upperFd: number, lowerFd: number, mergedFd: number | undefined): UpperEntry[] {
  const out: UpperEntry[] = [];
  const walk = (upper: number, lower: number | undefined, merged: number | undefined, prefix: string): void => {
    for (const name of names(upper).sort()) {
      const p = `${prefix}/${name}`;
      if (RACKER_FILES.has(p)) continue;
      const u = lookup(upper, name);
      if (!u) continue;
      const l = lookup(lower, name);
      const m = u.st.isDirectory() ? lookup(merged, name) : undefined;
      try {
        const whiteout = u.st.isCharacterDevice() && u.st.rdev === 0;
        const isDir = u.st.isDirectory();
        const lowerDir = l?.st.isDirectory() === true;
        let opaque = false;
        let sameDir = false;
        if (isDir && lowerDir && m) {
          const shown = new Set(names(m.fd));
          const upperNames = new Set(names(u.fd));
          opaque = names(l.fd).some((n) => !shown.has(n) && !upperNames.has(n));
          // Only racker's own files below it: its time changed for them, not for the user.
          const onlyRackers = [...upperNames].every((n) => RACKER_FILES.has(`${p}/${n}`));
          sameDir = (u.st.mode === l.st.mode && u.st.uid === l.st.uid && u.st.gid === l.st.gid && (u.st.mtimeMs === l.st.mtimeMs || onlyRackers));
        }
        // racker's empty /usr (rootfs.ts) and the mount points nspawn makes, for an image without them.
        if (NSPAWN_DIRS.has(p) && isDir && !l && names(u.fd).length === 0) continue;
        out.push({ path: p, isDir, deleted: whiteout || opaque, inLower: l !== undefined, sameDir });
        if (isDir) walk(u.fd, lowerDir ? l.fd : undefined, m?.fd, p);
      } finally {
        closeSync(u.fd);
        if (l) closeSync(l.fd);
        if (m) closeSync(m.fd);
      }
    }
  };
  walk(upperFd, lowerFd, mergedFd, '');
  return out;
}

/** The container's changes (the merged view mounted for a stopped container, to see opaque directories). */
export async function containerChanges(ctx: Context, record: ContainerRecord): Promise<Change[]> {
  return withContainerRoot(ctx, record, 'merged', (merged) => {
    const upper = openSync(upperDir(ctx, record.id), O_PATH | O_CLOEXEC);
    const lower = openSync(ctx.paths.imageRootfs(record.config.imageId), O_PATH | O_CLOEXEC);
    try {
      return changesOf(upperEntries(upper, lower, merged.fd));
    } finally {
      closeSync(upper);
      closeSync(lower);
    }
  });
}

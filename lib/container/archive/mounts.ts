/**
 * A container's volumes and bind mounts for the archive verbs while it is not running.
 *
 * dockerd mounts a stopped container's volumes for `docker cp`, so `/vol1/data.txt` is the
 * volume's file, not whatever the container's own layer has below the mount point. racker
 * does not mount them: a path under a mount's destination is looked up in the mount's source
 * instead, inside that source as its own root — a link in a volume that leads to `/etc`
 * leads to the volume's `etc`, never to the container's or the host's.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { ContainerRoot } from '../../fs/in-root.js';
import type { Bind } from '../../tools/nspawn.js';

/** `abs` below (or at) `dest`, both absolute and clean: dockerd's HasResource. */
export function isUnder(dest: string, abs: string): boolean {
  return abs === dest || dest === '/' || abs.startsWith(`${dest}/`);
}

/** The mount `abs` falls under: the deepest destination that holds it. */
export function mountFor(binds: readonly Bind[], abs: string): Bind | undefined {
  let best: Bind | undefined;
  for (const b of binds) {
    const dest = path.posix.normalize(b.container).replace(/(.)\/+$/, '$1');
    if (isUnder(dest, abs) && (!best || dest.length > path.posix.normalize(best.container).length)) best = { ...b, container: dest };
  }
  return best;
}

/** A write to `abs` (already resolved inside the container) refused as dockerd refuses it: 400. */
export function checkWritable(binds: readonly Bind[], abs: string): void {
  if (mountFor(binds, abs)?.readOnly) throw new UsageError('mounted volume is marked read-only');
}

/** Where a path under a mount is looked up: the source opened as a root, and the path inside it. */
export interface InMount {
  root: ContainerRoot;
  /** The path inside `root` ("/" for the mount itself). */
  inner: string;
  mount: Bind;
  /** A bind of one file: `root` is its host directory. */
  fileBind: boolean;
}

/**
 * The mount's source opened as a root, with `abs` (under its destination) translated.
 * A bind of one file: its directory as the root, and only the destination itself names
 * anything. Undefined when the source is gone (nothing is there, as for a missing path).
 */
export function openMount(mount: Bind, abs: string): InMount | undefined {
  const rest = abs === mount.container ? '' : abs.slice(mount.container === '/' ? 0 : mount.container.length);
  let st;
  try {
    // The source is the user's own host path (-v /host:/dest) or racker's volume directory.
    st = statSync(mount.host);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return { root: ContainerRoot.open(mount.host), inner: rest || '/', mount, fileBind: false };
  if (rest) return undefined;
  return { root: ContainerRoot.open(path.dirname(mount.host)), inner: `/${path.basename(mount.host)}`, mount, fileBind: true };
}

/** A path found inside a mount, as the container names it. */
export function outerPath(m: InMount, inner: string): string {
  return m.fileBind ? m.mount.container : path.posix.join(m.mount.container, inner);
}

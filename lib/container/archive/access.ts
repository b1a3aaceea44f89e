/**
 * Where a container's files are, for the archive, export and changes verbs.
 *
 * A running container is reached through its own view, `/proc/<leader>/root`: its volumes,
 * bind mounts and tmpfs are there, and what is written appears inside it at once (the
 * overlay's merged directory on the host has none of its mounts; writing under a volume's
 * mount point there would write into the overlay below the volume, where the container
 * never looks). `export` and `diff` want the container's own layer without its mounts, and
 * use the merged directory.
 *
 * A created or stopped container has no mount: its overlay is mounted for the call and
 * unmounted after, under the start lock, so a `start` meanwhile waits instead of mounting the
 * same upper directory twice. Its volumes are not mounted then: the archive verbs look a path
 * under a mount point up in the mount's source themselves (mounts.ts).
 */
import type { Context } from '../../context.js';
import { RackerError } from '../../errors.js';
import { childrenOf, processAlive } from '../../exec/procfs.js';
import { ContainerRoot, processRoot } from '../../fs/in-root.js';
import { withLock } from '../../state/lock.js';
import { findContainer, liveState, type ContainerRecord } from '../record.js';
import { isMounted, mountRootfs, unmountRootfs } from '../rootfs.js';
import { startLockFile } from '../start.js';

export type View = 'live' | 'merged';

/** The leader of a running container, or undefined when it has none (yet, or any more). */
function leaderOf(record: ContainerRecord): number | undefined {
  const s = liveState(record);
  if (s.status !== 'running') return undefined;
  const leader = s.leaderPid ?? (s.nspawnPid ? childrenOf(s.nspawnPid)[0] : undefined);
  return leader && processAlive(leader) ? leader : undefined;
}

/** The container's root opened for a running container, or undefined when it does not run. */
function openRunning(ctx: Context, record: ContainerRecord, view: View): ContainerRoot | undefined {
  const leader = leaderOf(record);
  if (!leader) return undefined;
  if (view === 'merged') {
    const target = ctx.paths.containerRootfs(record.id);
    return isMounted(target) ? ContainerRoot.open(target) : undefined;
  }
  const root = ContainerRoot.open(processRoot(leader));
  // The PID could have ended and been reused between the check and the open: still nspawn's child?
  const nspawn = record.state.nspawnPid;
  if (nspawn && !childrenOf(nspawn).includes(leader)) {
    root.close();
    return undefined;
  }
  return root;
}

/**
 * Run `fn` with the container's root open. `root.fd` stays valid until `fn` settles; the
 * root is closed (and a stopped container's overlay unmounted) after.
 */
export async function withContainerRoot<T>(ctx: Context, record: ContainerRecord, view: View, fn: (root: ContainerRoot, running: boolean) => Promise<T> | T): Promise<T> {
  const running = openRunning(ctx, record, view);
  if (running) {
    try {
      return await fn(running, true);
    } finally {
      running.close();
    }
  }
  return withLock(startLockFile(ctx, record.id), async () => {
    const current = await findContainer(ctx, record.id);
    // Started while we waited: its start lock is free again only once it is ready.
    const started = openRunning(ctx, current, view);
    if (started) {
      try {
        return await fn(started, true);
      } finally {
        started.close();
      }
    }
    if (liveState(current).status === 'running') throw new RackerError(`container ${current.name} is starting or stopping: try again`);
    const target = await mountRootfs(ctx, current.id, current.config.imageId);
    try {
      const root = ContainerRoot.open(target);
      try {
        return await fn(root, false);
      } finally {
        root.close();
      }
    } finally {
      await unmountRootfs(ctx, current.id);
    }
  });
}

/**
 * Each container's root: an overlayfs with the image read-only below and the
 * container's own upper directory, so starting costs the same for any image size
 * and images are never modified.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { ContainerRoot } from '../fs/in-root.js';
import { overlayMountArgv, umountArgv } from '../tools/mount.js';
import { machineName } from './record.js';

export function upperDir(ctx: Context, id: string): string {
  return path.join(ctx.paths.container(id), 'upper');
}

/** The mount points of /proc/self/mountinfo (field 5, its octal escapes undone). */
function mountPoints(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Is something mounted exactly at `target`? */
export function isMounted(target: string): boolean {
  return mountPoints().includes(target);
}

/** What is mounted below `dir` (not at it), deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountPoints()
    .filter((m) => m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** `volatile`: the upper layer is discarded after this run (`run --rm`), so it needs no syncs. */
export async function mountRootfs(ctx: Context, id: string, imageId: string, opts: { volatile?: boolean } = {}): Promise<string> {
  const target = ctx.paths.containerRootfs(id);
  if (isMounted(target)) return target;
  const upper = upperDir(ctx, id);
  const work = path.join(ctx.paths.container(id), 'work');
  const lower = ctx.paths.imageRootfs(imageId);
  await Promise.all([fs.mkdir(upper, { recursive: true }), fs.mkdir(work, { recursive: true }), fs.mkdir(target, { recursive: true })]);
  // systemd-nspawn refuses a root without /usr ("doesn't look like an OS tree"); a
  // busybox image has none. An empty /usr in this container's upper layer satisfies it.
  // Asked inside the image's root: an image's `usr -> /` must not make the host's answer.
  if (!ContainerRoot.with(lower, (root) => root.statOrNothing('/usr')?.isDirectory())) {
    // Not recursive, and mkdir never follows a final link: whatever upper/ holds stays.
    await fs.mkdir(path.join(upper, 'usr')).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  await ctx.run(overlayMountArgv({ lower, upper, work, target, volatile: opts.volatile === true }));
  return target;
}

/** Where a member's host paths are mounted for nspawn to bind (lib/access/member-binds.ts). */
export function memberBindsDir(ctx: Context, id: string): string {
  return path.join(path.dirname(ctx.paths.containerRootfs(id)), 'binds');
}

export async function unmountRootfs(ctx: Context, id: string): Promise<void> {
  const target = ctx.paths.containerRootfs(id);
  // A member's binds first (lazily: nspawn's own copies are in the container's namespace).
  for (const m of mountsUnder(memberBindsDir(ctx, id))) await ctx.run(umountArgv(m, true), { reject: false });
  if (isMounted(target)) {
    const r = await ctx.run(umountArgv(target), { reject: false });
    // Busy (a process still inside, e.g. an exec that outlived the container): detach lazily.
    if (r.exitCode !== 0 && isMounted(target)) await ctx.run(umountArgv(target, true));
  }
  // Never remove through a mount: below a member's bind are their own files.
  const left = mountsUnder(path.dirname(target));
  if (left.length) throw new Error(`${left[0]} is still mounted: not removing ${path.dirname(target)}`);
  await fs.rm(path.dirname(target), { recursive: true, force: true });
  // nspawn leaves its mount-propagation directory behind when it is killed; an empty
  // directory per container would pile up in /run.
  await fs.rmdir(`/run/systemd/nspawn/propagate/${machineName(id)}`).catch(() => undefined);
}

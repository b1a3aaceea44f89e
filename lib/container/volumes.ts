/**
 * Anonymous volumes (`-v /data`): a directory racker makes for one container, kept under
 * lib/volumes/<64 hex>/_data (docker's layout) and named in the container's record. A plain
 * `rm` keeps it, as docker does; `rm -v` and `--rm` remove it with the container. It starts
 * with a copy of what the image has at that path, as docker's does.
 */
import { randomBytes } from '../startup/builtins.js';
import { chownSync, chmodSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { ContainerRoot } from '../fs/in-root.js';
import type { Bind } from '../tools/nspawn.js';
import { emit } from '../events/log.js';

/** A -v value that is one absolute container path: an anonymous volume. */
export function isAnonymousVolume(spec: string): boolean {
  return !spec.includes(':') && path.posix.isAbsolute(spec);
}

function volumeDir(ctx: Context, name: string): string {
  // The name comes from the record: only racker's own 64-hex names are paths here.
  if (!/^[a-f0-9]{64}$/.test(name)) throw new UsageError(`invalid volume name in the container record: ${name}`);
  return path.join(ctx.paths.lib, 'volumes', name);
}

/**
 * docker's copy-up: a new volume mounted where the image has a directory starts with a copy of
 * it (contents, owners, modes; links copied as links, never followed). The image is hostile:
 * the path is resolved inside its root, and cp(1) copies from the directory racker holds open.
 */
export async function fillFromImage(ctx: Context, imageRootfs: string, containerPath: string, data: string): Promise<void> {
  const root = ContainerRoot.open(imageRootfs);
  try {
    const dir = root.statOrNothing(containerPath)?.isDirectory() ? root.directory(containerPath) : undefined;
    if (!dir?.fd) return;
    await ctx.run(['cp', '-a', '--', `/proc/${process.pid}/fd/${dir.fd}/.`, `${data}/`]);
    chownSync(data, dir.stat!.uid, dir.stat!.gid);
    chmodSync(data, dir.stat!.mode & 0o7777);
  } finally {
    root.close();
  }
}

/** Make one volume per path, filled from the image; their binds and names. */
export async function createAnonymousVolumes(ctx: Context, containerPaths: readonly string[], imageRootfs: string): Promise<{ names: string[]; binds: Bind[] }> {
  const names: string[] = [];
  const binds: Bind[] = [];
  for (const p of containerPaths) {
    const container = path.posix.normalize(p);
    if (container === '/') throw new UsageError(`invalid volume specification: '${p}': destination can't be '/'`);
    const name = randomBytes(32).toString('hex');
    const data = path.join(volumeDir(ctx, name), '_data');
    await fs.mkdir(data, { recursive: true, mode: 0o755 });
    names.push(name);
    await fillFromImage(ctx, imageRootfs, container, data);
    binds.push({ host: data, container, readOnly: false });
    emit(ctx, { type: 'volume', action: 'create', id: name, attributes: { driver: 'local' } });
  }
  return { names, binds };
}

export async function removeAnonymousVolumes(ctx: Context, names: readonly string[] | undefined): Promise<void> {
  for (const name of names ?? []) {
    await fs.rm(volumeDir(ctx, name), { recursive: true, force: true });
    emit(ctx, { type: 'volume', action: 'destroy', id: name, attributes: { driver: 'local' } });
  }
}

/**
 * The archive verbs on one container: stat a path (HEAD), a path as a tar (GET), a tar
 * extracted into a directory (PUT), the whole file system as a tar (export). Paths are
 * read as dockerd's ResolvePath does: made absolute, every directory on the way followed
 * (inside the container's root), the last name not followed unless the path ends in '/'
 * or '/.' — so `/link` is the link and `/link/` what it leads to.
 */
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Context } from '../../context.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { ContainerRoot, InRootError } from '../../fs/in-root.js';
import type { ContainerRecord } from '../record.js';
import { withContainerRoot } from './access.js';
import { endOfArchive, packContents, packEntry } from './pack.js';
import { pathStat, type PathStat } from './stat.js';
import { ArchiveError, unpackArchive, type UnpackResult } from './unpack.js';

/** A request path refused before anything is looked up: the client's fault (400). */
export function checkRequestPath(p: string | null): string {
  if (p === null || p === '') throw new UsageError('path must not be empty (?path=)');
  if (p.includes('\0')) throw new UsageError('invalid path: it contains a NUL byte');
  if (p.length > 4096) throw new UsageError('invalid path: longer than 4096 bytes');
  return p;
}

function notFound(record: ContainerRecord, p: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${p} in container ${record.name}`);
}

interface Resolved {
  /** Directory holding the entry, and its name there (undefined for the root). */
  dirFd: number;
  name: string | undefined;
  /** O_PATH descriptor of the entry itself, owned by the root. */
  fd: number;
  stat: Stats;
  /** The name it gets in the archive and the stat header: the requested path's last name. */
  base: string;
  /** Where the container path leads, every link resolved (for a link's linkTarget). */
  resolved: string;
}

/** dockerd's ResolvePath + lstat, inside `root`; undefined when nothing is there. */
function resolve(root: ContainerRoot, p: string): Resolved | undefined {
  const abs = path.posix.join('/', p);
  const followLast = p.endsWith('/') || p.endsWith('/.') || p === '.';
  const base = abs === '/' ? '/' : path.posix.basename(abs);
  let found;
  try {
    found = root.find(abs, { follow: followLast });
  } catch (err) {
    if (err instanceof InRootError) throw new UsageError(`${p}: ${err.message}`);
    throw err;
  }
  if (found?.fd === undefined || !found.stat) return undefined;
  if (followLast && !found.stat.isDirectory()) throw new UsageError(`${p}: not a directory`);
  let resolved = found.path;
  if (found.stat.isSymbolicLink()) {
    try {
      resolved = root.find(abs)?.path ?? found.path;
    } catch {
      resolved = found.path; // a loop: the link is still described
    }
  }
  return { dirFd: found.dirFd, name: found.name, fd: found.fd, stat: found.stat, base, resolved };
}

function statOf(r: Resolved): PathStat {
  return pathStat(r.base, r.stat, r.stat.isSymbolicLink() ? r.resolved : '');
}

/** HEAD /containers/{id}/archive: the path's stat, or NotFoundError. */
export async function statContainerPath(ctx: Context, record: ContainerRecord, p: string): Promise<PathStat> {
  return withContainerRoot(ctx, record, 'live', (root) => {
    const r = resolve(root, p);
    if (!r) throw notFound(record, p);
    return statOf(r);
  });
}

/**
 * GET /containers/{id}/archive: `onStat` with the stat once the path is found (the answer's
 * headers), then the tar in chunks to `write`, which may wait (back-pressure) and returns
 * false once the client has gone. `as`: the name the archive gives it (cp -L's rebase).
 */
export async function archiveContainerPath(
  ctx: Context,
  record: ContainerRecord,
  p: string,
  onStat: (stat: PathStat) => void,
  write: (chunk: Buffer) => Promise<boolean> | boolean,
  opts: { as?: string } = {},
): Promise<void> {
  await withContainerRoot(ctx, record, 'live', async (root) => {
    const r = resolve(root, p);
    if (!r) throw notFound(record, p);
    onStat(statOf(r));
    const name = opts.as ?? r.base;
    for (const chunk of packEntry(r.dirFd, r.name, r.fd, r.stat, name)) {
      if (!(await write(chunk))) return;
    }
    await write(endOfArchive());
  });
}

/** GET /containers/{id}/export: the merged file system (no volumes nor mounts), as docker export. */
export async function exportContainer(ctx: Context, record: ContainerRecord, onStart: () => void, write: (chunk: Buffer) => Promise<boolean> | boolean): Promise<void> {
  await withContainerRoot(ctx, record, 'merged', async (root) => {
    onStart();
    for (const chunk of packContents(root.fd)) {
      if (!(await write(chunk))) return;
    }
    await write(endOfArchive());
  });
}

/**
 * PUT /containers/{id}/archive: the tar in `tarFile` (spooled by the caller) extracted into
 * the directory `p`. `copyUIDGID` keeps the archive's owners; otherwise everything is the
 * container's root's, as dockerd does.
 */
export async function extractIntoContainer(ctx: Context, record: ContainerRecord, p: string, tarFile: string, opts: { copyUIDGID?: boolean } = {}): Promise<UnpackResult> {
  return withContainerRoot(ctx, record, 'live', async (root) => {
    const abs = path.posix.join('/', p);
    let found;
    try {
      found = root.find(abs);
    } catch (err) {
      if (err instanceof InRootError) throw new UsageError(`${p}: ${err.message}`);
      throw err;
    }
    if (found?.fd === undefined) throw notFound(record, p);
    if (!found.stat!.isDirectory()) throw new ArchiveError('extraction point is not a directory');
    return unpackArchive(tarFile, found.fd, opts.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } });
  });
}

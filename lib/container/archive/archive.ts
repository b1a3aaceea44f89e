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
import { ContainerRoot, InRootError, type Found } from '../../fs/in-root.js';
import type { ContainerRecord } from '../record.js';
import type { Bind } from '../../tools/nspawn.js';
import { withContainerRoot } from './access.js';
import { checkWritable, mountFor, openMount, outerPath, type InMount } from './mounts.js';
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
  /** Where the entry itself is: its directories resolved, the last name as found. */
  at: string;
}

/** `root.find`, a path the container made unusable (a link loop) being the client's 400. */
function findIn(root: ContainerRoot, p: string, abs: string, follow: boolean): Found | undefined {
  try {
    return root.find(abs, { follow });
  } catch (err) {
    if (err instanceof InRootError) throw new UsageError(`${p}: ${err.message}`);
    throw err;
  }
}

/** dockerd's ResolvePath + lstat, from what `findIn` found; undefined when nothing is there. */
function resolved(root: ContainerRoot, p: string, abs: string, found: Found | undefined, followLast: boolean, base: string): Resolved | undefined {
  if (found?.fd === undefined || !found.stat) return undefined;
  if (followLast && !found.stat.isDirectory()) throw new UsageError(`${p}: not a directory`);
  let leads = found.path;
  if (found.stat.isSymbolicLink()) {
    try {
      leads = root.find(abs)?.path ?? found.path;
    } catch {
      leads = found.path; // a loop: the link is still described
    }
  }
  return { dirFd: found.dirFd, name: found.name, fd: found.fd, stat: found.stat, base, resolved: leads, at: found.path };
}

/**
 * Where the archive verbs look: the container's root, and for a container that is not
 * running its volumes and bind mounts (mounts.ts), which its root does not have in place.
 * Roots opened for mounts are closed with the scope.
 */
class Scope {
  private readonly opened: ContainerRoot[] = [];

  constructor(
    readonly root: ContainerRoot,
    /** Empty while it runs: its own view has them mounted. */
    readonly mounts: readonly Bind[],
  ) {}

  static of(root: ContainerRoot, running: boolean, record: ContainerRecord): Scope {
    return new Scope(root, running ? [] : record.config.binds ?? []);
  }

  /** `abs` looked up in the mount it falls under, or undefined when it falls under none. */
  private inMount(abs: string): InMount | undefined | 'missing' {
    const mount = mountFor(this.mounts, abs);
    if (!mount) return undefined;
    const m = openMount(mount, abs);
    if (!m) return 'missing';
    this.opened.push(m.root);
    return m;
  }

  /**
   * A link of the container's own that led under a mount point (found there, or missing
   * there): the path to look up again, now lexically in the mount — where dockerd, with the
   * mounts in place, would be. `found.path` has every link resolved, so this happens once.
   */
  private intoMount(abs: string, found: Found | undefined): string | undefined {
    return found && found.path !== abs && mountFor(this.mounts, found.path) ? found.path : undefined;
  }

  /** A path as the container sees it (dockerd's ResolvePath + lstat), its volumes included. */
  resolve(p: string): Resolved | undefined {
    const abs = path.posix.join('/', p);
    const followLast = p.endsWith('/') || p.endsWith('/.') || p === '.';
    const base = abs === '/' ? '/' : path.posix.basename(abs);
    const m = this.inMount(abs);
    if (m === 'missing') return undefined;
    if (m) {
      const r = resolved(m.root, p, m.inner, findIn(m.root, p, m.inner, followLast), followLast, base);
      return r && { ...r, resolved: outerPath(m, r.resolved), at: outerPath(m, r.at) };
    }
    const found = findIn(this.root, p, abs, followLast);
    const again = this.intoMount(abs, found);
    if (again !== undefined) {
      const r = this.resolve(followLast ? `${again}/` : again);
      return r && { ...r, base };
    }
    return resolved(this.root, p, abs, found, followLast, base);
  }

  /** The directory `p` leads to (every link followed), for an extraction; undefined when missing. */
  directory(p: string): { fd: number; stat: Stats; path: string } | undefined {
    const abs = path.posix.join('/', p);
    const m = this.inMount(abs);
    if (m === 'missing') return undefined;
    const found = m ? findIn(m.root, p, m.inner, true) : findIn(this.root, p, abs, true);
    const again = m ? undefined : this.intoMount(abs, found);
    if (again !== undefined) return this.directory(again);
    if (found?.fd === undefined || !found.stat) return undefined;
    return { fd: found.fd, stat: found.stat, path: m ? outerPath(m, found.path) : found.path };
  }

  close(): void {
    for (const r of this.opened.splice(0)) r.close();
  }
}

/** `fn` with the scope of the container's files; closed after. */
async function withScope<T>(ctx: Context, record: ContainerRecord, fn: (scope: Scope) => Promise<T> | T): Promise<T> {
  return withContainerRoot(ctx, record, 'live', async (root, running) => {
    const scope = Scope.of(root, running, record);
    try {
      return await fn(scope);
    } finally {
      scope.close();
    }
  });
}

function statOf(r: Resolved): PathStat {
  return pathStat(r.base, r.stat, r.stat.isSymbolicLink() ? r.resolved : '');
}

/** HEAD /containers/{id}/archive: the path's stat, or NotFoundError. */
export async function statContainerPath(ctx: Context, record: ContainerRecord, p: string): Promise<PathStat> {
  return withScope(ctx, record, (scope) => {
    const r = scope.resolve(p);
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
  await withScope(ctx, record, async (scope) => {
    const r = scope.resolve(p);
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
  return withScope(ctx, record, async (scope) => {
    const found = scope.directory(p);
    if (!found) throw notFound(record, p);
    if (!found.stat.isDirectory()) throw new ArchiveError('extraction point is not a directory');
    // dockerd's checkIfPathIsInAVolume, on the resolved path: running or not.
    checkWritable(record.config.binds ?? [], found.path);
    return unpackArchive(tarFile, found.fd, opts.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } });
  });
}

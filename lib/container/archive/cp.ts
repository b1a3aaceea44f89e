/**
 * racker cp: docker cp's two directions over the same operations the Engine API uses.
 *
 * CONTAINER:SRC DEST — the path's stat decides where it goes (cp-args.ts's `placement`), the
 * container's tar is kept in a scratch file and extracted with unpack.ts into the local
 * directory: the archive comes from the container, so it is checked and extracted as
 * carefully as one sent to the API (nothing below DEST is followed).
 * SRC CONTAINER:DEST — the local path is archived (pack.ts) and extracted into the container.
 * `-` on either side is a tar on stdin or stdout.
 */
import { closeSync, lstatSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isMember } from '../../access/caller.js';
import type { Context } from '../../context.js';
import { writeTo } from '../../fs/drained.js';
import { EXIT_RACKER, NotFoundError, RackerError } from '../../errors.js';
import { findContainer, type ContainerRecord } from '../record.js';
import { archiveContainerPath, extractIntoContainer, statContainerPath } from './archive.js';
import { containerPath, placement, planCp, type Placement } from './cp-args.js';
import { openHostDir, packHostPath } from './host-path.js';
import { withSpooled } from './spool.js';
import { goModeKind, type PathStat } from './stat.js';
import { unpackArchive } from './unpack.js';
import { Readable } from 'node:stream';

export interface CpOptions {
  /** -a: keep owners (uid/gid) from the source. */
  archive?: boolean;
  /** -L: follow a symbolic link named as SRC. */
  followLink?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/** docker cp's failures are client errors: exit 1, as the docker CLI exits. */
function fail(message: string): RackerError {
  return new RackerError(message, { exitCode: 1 });
}

async function containerOf(ctx: Context, name: string): Promise<ContainerRecord> {
  try {
    return await findContainer(ctx, name);
  } catch (err) {
    if (err instanceof NotFoundError) err.exitCode = 1;
    throw err;
  }
}

async function statOrUndefined(ctx: Context, record: ContainerRecord, p: string): Promise<PathStat | undefined> {
  try {
    return await statContainerPath(ctx, record, p);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export async function cp(ctx: Context, srcArg: string, destArg: string, opts: CpOptions = {}): Promise<void> {
  const plan = planCp(srcArg, destArg);
  const record = await containerOf(ctx, plan.container);
  try {
    if (plan.direction === 'from') await copyFrom(ctx, record, plan.src, plan.dest, opts);
    else await copyTo(ctx, record, plan.src, plan.dest, opts);
  } catch (err) {
    // The docker CLI exits 1 for every failed copy (a refused archive, a missing path).
    if (err instanceof RackerError && err.exitCode === EXIT_RACKER) err.exitCode = 1;
    throw err;
  }
}

async function copyFrom(ctx: Context, record: ContainerRecord, src: string, dest: string, opts: CpOptions): Promise<void> {
  let srcPath = containerPath(src);
  const shown = `${record.name}:${src}`;
  let stat = await statOrUndefined(ctx, record, srcPath);
  if (!stat) throw fail(`No such container:path: ${shown}`);
  let as: string | undefined;
  if (opts.followLink && goModeKind(stat.mode) === 'symlink' && stat.linkTarget) {
    // The link's target, under the link's own name (docker's rebase).
    as = stat.name;
    srcPath = stat.linkTarget;
    stat = await statOrUndefined(ctx, record, srcPath);
    if (!stat) throw fail(`No such container:path: ${shown}`);
  }
  if (dest === '-') {
    const out = opts.stdout ?? process.stdout;
    await archiveContainerPath(ctx, record, srcPath, () => undefined, writeTo(out), as ? { as } : {});
    return;
  }
  const isDir = goModeKind(stat.mode) === 'dir';
  // A member's side of the copy is done by a process of theirs (cp-local.ts).
  if (isMember(ctx.caller)) {
    const { memberStat, memberUnpack } = await import('./cp-local.js');
    const local = await memberStat(ctx.caller, dest, true);
    const { dir, name } = localTarget(dest, placement({ path: src, isDir }, { path: dest, ...local }));
    await memberUnpack(ctx.caller, dir, (write) => archiveContainerPath(ctx, record, srcPath, () => undefined, write, { as: name }));
    return;
  }
  let destStat: Stats | undefined;
  try {
    destStat = statSync(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(`cannot copy to ${dest}: ${(err as Error).message}`);
  }
  const where = placement({ path: src, isDir }, { path: dest, exists: destStat !== undefined, isDir: destStat?.isDirectory() === true });
  const { dir, name } = localTarget(dest, where);
  const dirFd = openHostDir(dir);
  try {
    await withSpooledFrom(ctx, (write) => archiveContainerPath(ctx, record, srcPath, () => undefined, write, { as: name }), async (file) => {
      const owner = opts.archive ? undefined : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      await unpackArchive(file, dirFd, owner ? { owner } : {});
    });
  } finally {
    closeSync(dirFd);
  }
}

/** Where in the destination the copy lands: a directory and the archive's top name ('.' for contents). */
function localTarget(dest: string, where: Placement): { dir: string; name: string } {
  if (where.into === 'parent') return { dir: path.dirname(path.resolve(dest)), name: where.name };
  if (where.into === 'dir') return { dir: dest, name: where.name };
  return { dir: dest, name: '.' };
}

/** A tar produced by `produce` into a scratch file, then `use` on it. */
async function withSpooledFrom(ctx: Context, produce: (write: (chunk: Buffer) => Promise<boolean>) => Promise<void>, use: (file: string) => Promise<void>): Promise<void> {
  const chunks = new Readable({ read() {} });
  const produced = produce(async (chunk) => {
    chunks.push(chunk);
    return true;
  }).then(
    () => chunks.push(null),
    (err: unknown) => {
      chunks.destroy(err as Error);
      throw err;
    },
  );
  await Promise.all([produced, withSpooled(ctx.paths, chunks, use)]);
}

async function copyTo(ctx: Context, record: ContainerRecord, src: string, dest: string, opts: CpOptions): Promise<void> {
  const destPath = containerPath(dest);
  if (src === '-') {
    const input = opts.stdin ?? process.stdin;
    await withSpooled(ctx.paths, input, (file) => extractIntoContainer(ctx, record, destPath, file, { copyUIDGID: opts.archive === true }));
    return;
  }
  const member = isMember(ctx.caller) ? ctx.caller : undefined;
  const cpLocal = member ? await import('./cp-local.js') : undefined;
  let srcIsDir: boolean;
  if (member) {
    const local = await cpLocal!.memberStat(member, src, opts.followLink === true);
    if (!local.exists) throw fail(`${opts.followLink ? 'stat' : 'lstat'} ${src}: no such file or directory`);
    srcIsDir = local.isDir;
  } else {
    try {
      srcIsDir = (opts.followLink ? statSync(src) : lstatSync(src)).isDirectory();
    } catch (err) {
      throw fail(`${opts.followLink ? 'stat' : 'lstat'} ${src}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
  }
  let destStat = await statOrUndefined(ctx, record, destPath);
  // A link as DEST in the container: where it leads (the docker CLI follows it too).
  if (destStat && goModeKind(destStat.mode) === 'symlink' && destStat.linkTarget) destStat = await statOrUndefined(ctx, record, destStat.linkTarget);
  const where = placement({ path: src, isDir: srcIsDir }, { path: dest, exists: destStat !== undefined, isDir: destStat !== undefined && goModeKind(destStat.mode) === 'dir' });
  const dir = where.into === 'parent' ? path.posix.dirname(path.posix.join('/', dest.replace(/\/+$/, ''))) : destPath;
  const name = where.into === 'contents' ? '.' : where.name;
  const extract = async (file: string) => {
    try {
      await extractIntoContainer(ctx, record, dir, file, { copyUIDGID: opts.archive === true });
    } catch (err) {
      if (err instanceof NotFoundError) throw fail(`Could not find the file ${dir} in container ${record.name}`);
      throw err;
    }
  };
  if (member) {
    await cpLocal!.memberPack(member, src, name, opts.followLink === true, (tar) => withSpooled(ctx.paths, tar, extract));
    return;
  }
  // The local source, packed as root reads it (host-path.ts: the name itself followed only with -L).
  await withSpooledFrom(ctx, (write) => packHostPath(src, name, opts.followLink === true, write), extract);
}


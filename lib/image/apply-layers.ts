/**
 * A built image's root filesystem from its base's and the layers the build added, without
 * copying the base: `dest` starts as a tree of hard links to the base's rootfs (cp -al: new
 * directories, the files shared), and every path the new layers touch is made what the
 * merged view shows (an overlay of those layers on the base's rootfs, so overlayfs itself
 * decides whiteouts and opaque directories).
 *
 * Shared files are never written to: a touched file is unlinked in `dest` and copied anew
 * (so the base's inode, and every other image linking it, stays as it was); only `dest`'s
 * own directories are changed in place. Image root filesystems are read-only once stored
 * (containers write to an overlay's upper directory), so the sharing stays invisible.
 *
 * Which paths the layers touch: every entry of their diff directories. An overlay's upper
 * directory holds each changed entry's parent directories too, so the set is closed under
 * parents and a path's parent is handled before it; a deleted name is a whiteout there, and
 * a directory whose old contents are gone is in the set, its names compared with the
 * merged view's.
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { copyParentsArgv } from '../tools/cp.js';

export interface ApplyResult {
  /** Paths the layers touch. */
  touched: number;
  /** Bytes of file contents copied in, and removed from the base's tree. */
  added: number;
  removed: number;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Bytes of file contents under p (p itself when not a directory). */
async function bytesUnder(p: string, st: Stats): Promise<number> {
  if (!st.isDirectory()) return st.isFile() ? st.size : st.isSymbolicLink() ? st.size : 0;
  let total = 0;
  for (const name of await fs.readdir(p)) {
    const q = path.join(p, name);
    total += await bytesUnder(q, await fs.lstat(q));
  }
  return total;
}

/** Relative paths of every entry under the diff directories (parents first once sorted). */
async function touchedPaths(diffs: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      seen.add(r);
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
    }
  };
  for (const d of diffs) await walk(d, '');
  // Plain string order puts every path after its parent (a prefix sorts first).
  return [...seen].sort();
}

function underAny(rel: string, done: ReadonlySet<string>): boolean {
  for (let p = path.posix.dirname(rel); p !== '.'; p = path.posix.dirname(p)) if (done.has(p)) return true;
  return false;
}

export async function applyLayers(ctx: Context, merged: string, diffs: readonly string[], dest: string): Promise<ApplyResult> {
  const touched = await touchedPaths(diffs);
  const result: ApplyResult = { touched: touched.length, added: 0, removed: 0 };
  // Handled whole (copied, or gone): nothing below needs a look.
  const done = new Set<string>();
  const copies: string[] = [];
  const dirs: { rel: string; st: Stats }[] = [];
  const remove = async (p: string, st: Stats) => {
    result.removed += await bytesUnder(p, st);
    await fs.rm(p, { recursive: true, force: true });
  };
  const reconcile = async (rel: string) => {
    const m = path.join(merged, rel);
    const d = path.join(dest, rel);
    const keep = new Set(await fs.readdir(m));
    for (const name of await fs.readdir(d)) if (!keep.has(name)) await remove(path.join(d, name), await fs.lstat(path.join(d, name)));
    dirs.push({ rel, st: await fs.lstat(m) });
  };
  await reconcile('');
  for (const rel of touched) {
    if (underAny(rel, done)) continue;
    const m = await lstatOrNull(path.join(merged, rel));
    const d = path.join(dest, rel);
    let st = await lstatOrNull(d);
    if (!m) {
      if (st) await remove(d, st);
      done.add(rel);
      continue;
    }
    if (st && !(m.isDirectory() && st.isDirectory())) {
      await remove(d, st);
      st = null;
    }
    if (m.isDirectory() && st) {
      await reconcile(rel);
      continue;
    }
    // New here (or replaced): copied whole from the merged view.
    result.added += await bytesUnder(path.join(merged, rel), m);
    copies.push(rel);
    done.add(rel);
  }
  // One cp for many paths keeps hard links among them; its --parents finds the parents made.
  // Batches of at most ~256 kB of arguments (the kernel takes 2 MB with the environment).
  for (let i = 0; i < copies.length; ) {
    let bytes = 0;
    let j = i;
    while (j < copies.length && (j === i || bytes + copies[j]!.length < 256 * 1024)) bytes += copies[j++]!.length + 1;
    await ctx.run(copyParentsArgv(copies.slice(i, j), dest), { cwd: merged });
    i = j;
  }
  // Directories last, deepest first: adding and removing names changed their times.
  for (const { rel, st } of dirs.reverse()) {
    const d = path.join(dest, rel);
    await fs.chown(d, st.uid, st.gid);
    await fs.chmod(d, st.mode & 0o7777);
    await fs.utimes(d, st.atime, st.mtime);
  }
  return result;
}

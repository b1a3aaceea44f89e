/**
 * overlayfs records deletions in the upper directory as character devices 0:0 (a deleted
 * name) and the xattr trusted.overlay.opaque=y (a directory whose lower contents are gone);
 * an OCI layer says the same with empty files named `.wh.NAME` and `.wh..wh..opq`.
 */
import path from 'node:path';

export const OPAQUE = '.wh..wh..opq';
export const WHITEOUT_PREFIX = '.wh.';

/** Is this stat (mode, rdev) an overlay whiteout? */
export function isOverlayWhiteout(st: { isCharacterDevice(): boolean; rdev: number }): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** The layer entry for a deleted `p` ("etc/motd" → "etc/.wh.motd"). */
export function whiteoutPath(p: string): string {
  const dir = path.posix.dirname(p);
  return dir === '.' ? `${WHITEOUT_PREFIX}${path.posix.basename(p)}` : `${dir}/${WHITEOUT_PREFIX}${path.posix.basename(p)}`;
}

/** The layer entry marking directory `dir` opaque ("" for the root). */
export function opaquePath(dir: string): string {
  return dir ? `${dir}/${OPAQUE}` : OPAQUE;
}

/**
 * Without reading xattrs (Node has no getxattr): a directory of the upper layer is opaque when
 * some name of the lower directory is in neither the upper directory nor the merged view.
 * (A name whited out one by one is in the upper directory, as its whiteout.)
 */
export function hiddenByOpaque(lower: readonly string[], upper: readonly string[], merged: readonly string[]): boolean {
  const u = new Set(upper);
  const m = new Set(merged);
  return lower.some((n) => !u.has(n) && !m.has(n));
}

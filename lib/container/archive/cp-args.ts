/**
 * `racker cp`'s arguments, read as the docker CLI reads them (pure).
 *
 * `NAME:PATH` names a path in a container; anything absolute, anything whose part before the
 * first ':' starts with '.', and anything without ':' is local (docker's splitCpArg: so
 * `./file:name.txt` and `/a/b:c` are local files). `-` is a tar on stdin or stdout.
 */
import path from 'node:path';
import { RackerError } from '../../errors.js';

export interface CpEnd {
  /** The container's name or ID; undefined for a local path (or '-'). */
  container?: string;
  path: string;
}

export function splitCpArg(arg: string): CpEnd {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.slice(0, colon).startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export type CpPlan =
  | { direction: 'from'; container: string; src: string; dest: string }
  | { direction: 'to'; container: string; src: string; dest: string };

/** Both arguments → which way, or docker's error (exit 1, a client-side refusal). */
export function planCp(srcArg: string, destArg: string): CpPlan {
  const src = splitCpArg(srcArg);
  const dest = splitCpArg(destArg);
  if (src.container !== undefined && dest.container !== undefined) throw new RackerError('copying between containers is not supported', { exitCode: 1 });
  if (src.container === undefined && dest.container === undefined) throw new RackerError('must specify at least one container source', { exitCode: 1 });
  if (src.container !== undefined) {
    if (!src.container) throw new RackerError(`invalid container name in ${srcArg}`, { exitCode: 1 });
    if (!src.path) throw new RackerError('source path in the container must not be empty', { exitCode: 1 });
    return { direction: 'from', container: src.container, src: src.path, dest: dest.path };
  }
  if (!dest.container) throw new RackerError(`invalid container name in ${destArg}`, { exitCode: 1 });
  if (!dest.path) throw new RackerError('destination path in the container must not be empty', { exitCode: 1 });
  return { direction: 'to', container: dest.container, src: src.path, dest: dest.path };
}

/** Does the path say "a directory" by its spelling (ends in '/' or '/.')? docker's rule for both ends. */
export function saysDirectory(p: string): boolean {
  return p.endsWith('/') || p === '.' || p.endsWith('/.');
}

/** docker's "contents of the directory, not the directory" spelling: SRC ending in '/.'. */
export function copiesContents(p: string): boolean {
  return p === '.' || p.endsWith('/.');
}

/** A container path made absolute (docker joins it to "/"), keeping a trailing '/' or '/.'. */
export function containerPath(p: string): string {
  const abs = path.posix.join('/', p).replace(/(.)\/+$/, '$1');
  if (copiesContents(p)) return abs === '/' ? '/.' : `${abs}/.`;
  if (p.endsWith('/') && abs !== '/') return `${abs}/`;
  return abs;
}

/** What copying a source of `kind` to a destination that is `destKind` does (docker's table). */
export type Placement =
  /** dest is the parent directory; the copy gets the name `name` in it. */
  | { into: 'parent'; name: string }
  /** dest is an existing directory and the copy keeps the source's base name in it. */
  | { into: 'dir'; name: string }
  /** dest is an existing directory that receives the source directory's contents. */
  | { into: 'contents' };

/**
 * docker's rules for DEST: file → new file, existing file (overwritten) or into an existing
 * directory; directory → new directory, into an existing one (or its contents with SRC/.),
 * never onto a file; a DEST ending in '/' must be an existing directory.
 */
export function placement(src: { path: string; isDir: boolean }, dest: { path: string; exists: boolean; isDir: boolean }): Placement {
  const srcBase = path.posix.basename(src.path.replace(/\/+\.?$/, '')) || '/';
  const destBase = path.posix.basename(dest.path.replace(/\/+$/, ''));
  if (!src.isDir && saysDirectory(src.path)) throw new RackerError(`${src.path}: not a directory`, { exitCode: 1 });
  if (!dest.exists) {
    if (saysDirectory(dest.path)) throw new RackerError(`destination directory ${dest.path} must exist`, { exitCode: 1 });
    return { into: 'parent', name: destBase };
  }
  if (dest.isDir) {
    // The container's root has no base name: its contents go in (docker rebases "/" onto DEST).
    if (src.isDir && (copiesContents(src.path) || srcBase === '/')) return { into: 'contents' };
    return { into: 'dir', name: srcBase };
  }
  if (src.isDir) throw new RackerError(`cannot copy a directory to a file: ${dest.path}`, { exitCode: 1 });
  if (saysDirectory(dest.path)) throw new RackerError(`${dest.path}: not a directory`, { exitCode: 1 });
  return { into: 'parent', name: destBase };
}

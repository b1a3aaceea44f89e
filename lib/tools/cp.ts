/**
 * Pure argv builders for cp (GNU coreutils): copying trees of image files exactly (owners,
 * modes, times, hard links, file capabilities in xattrs, device nodes), never following a
 * symbolic link they contain.
 */
import { UsageError } from '../errors.js';

function checkPath(what: string, p: string): string {
  if (p === '' || p.startsWith('-')) throw new UsageError(`invalid ${what}: ${JSON.stringify(p)}`);
  return p;
}

/** `dest` made a tree of new directories and hard links to the files of `src` (dest must not exist). */
export function linkTreeArgv(src: string, dest: string): string[] {
  return ['cp', '-a', '--link', '--no-target-directory', '--', checkPath('source', src), checkPath('destination', dest)];
}

/** A whole copy of `src` at `dest` (reflinks where the filesystem shares blocks). */
export function copyTreeArgv(src: string, dest: string): string[] {
  return ['cp', '-a', '--reflink=auto', '--no-target-directory', '--', checkPath('source', src), checkPath('destination', dest)];
}

/**
 * The relative paths (run in the directory they are relative to) copied under `dest` at
 * the same relative places; their parent directories must exist in `dest`.
 */
export function copyParentsArgv(relPaths: readonly string[], dest: string): string[] {
  for (const p of relPaths) if (p === '' || p.startsWith('/') || p.split('/').includes('..')) throw new UsageError(`invalid relative path: ${JSON.stringify(p)}`);
  return ['cp', '-a', '--parents', `--target-directory=${checkPath('destination', dest)}`, '--', ...relPaths];
}

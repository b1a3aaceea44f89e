/**
 * racker cp's host side, opened and packed the one way both callers need it: root's copy
 * (cp.ts) and a member's, run as them (cp-local.ts). Paths are opened once, by descriptor
 * (O_PATH), and everything after that goes through the descriptor, not the name again.
 */
import { closeSync, constants as c, fstatSync, openSync } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { endOfArchive, packEntry, type PackOptions } from './pack.js';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const O_DIRECTORY = 0o200000;

/** The directory a copy lands in, held open; a missing one, or not a directory, is docker cp's one line, exit 1. */
export function openHostDir(dir: string): number {
  try {
    return openSync(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  } catch (err) {
    throw new RackerError(`destination directory ${dir} does not exist or is not a directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { exitCode: 1 });
  }
}

/**
 * SRC as a tar whose top entry is NAME, one chunk at a time into `write` (a directory's tar is
 * never all in memory): its parent followed as the host does, SRC itself only with `follow`.
 */
export async function packHostPath(src: string, name: string, follow: boolean, write: (chunk: Buffer) => Promise<unknown>, opts: PackOptions = {}): Promise<void> {
  const abs = path.resolve(src);
  const parent = openSync(path.dirname(abs), O_PATH | O_DIRECTORY | O_CLOEXEC);
  try {
    const base = path.basename(abs);
    const fd = openSync(`/proc/self/fd/${parent}/${base}`, O_PATH | O_CLOEXEC | (follow ? 0 : c.O_NOFOLLOW));
    try {
      const st = fstatSync(fd);
      for (const chunk of packEntry(parent, base, fd, st, name, opts)) await write(chunk);
      await write(endOfArchive());
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(parent);
  }
}

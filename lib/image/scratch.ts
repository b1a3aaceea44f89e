/** Leftovers of killed pulls/imports in tmp/: each scratch name carries its owner's PID. */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../exec/procfs.js';
import type { Runner } from '../exec/run.js';
import { umountArgv } from '../tools/mount.js';
import type { Paths } from '../state/paths.js';

/** Scratch directories (full paths) whose owning process is gone: what cleanScratch removes. */
export async function deadScratch(paths: Paths): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.tmp);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      const m = /^[a-z]+-(\d+)-[a-f0-9]+$/.exec(name);
      return m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]));
    })
    .map((name) => path.join(paths.tmp, name));
}

/** Mount points at or under `dir` (/proc/self/mountinfo field 5, octal-escaped), deepest first. */
export function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined)
    .map(unescape)
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort()
    .reverse();
}

/**
 * Remove scratch directories whose owning process is gone. Returns how many. A killed build
 * can leave a read-only overlay mounted in its scratch directory: with `run`, it is
 * unmounted (lazily) first; without, that directory is left for a caller that can.
 */
export async function cleanScratch(paths: Paths, run?: Runner): Promise<number> {
  const dead = await deadScratch(paths);
  let removed = 0;
  for (const dir of dead) {
    const mounts = mountsUnder(dir);
    if (mounts.length && !run) continue;
    for (const m of mounts) await run!(umountArgv(m, true), { reject: false });
    if (mountsUnder(dir).length) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

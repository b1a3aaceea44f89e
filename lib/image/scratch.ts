/** Leftovers of killed pulls/imports in tmp/: each scratch name carries its owner's PID. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../exec/procfs.js';
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

/** Remove scratch directories whose owning process is gone. Returns how many. */
export async function cleanScratch(paths: Paths): Promise<number> {
  const dead = await deadScratch(paths);
  for (const dir of dead) await fs.rm(dir, { recursive: true, force: true });
  return dead.length;
}

/** Leftovers of killed pulls/imports in tmp/: each scratch name carries its owner's PID. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../state/paths.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove scratch directories whose owning process is gone. Returns how many. */
export async function cleanScratch(paths: Paths): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(paths.tmp);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /^[a-z]+-(\d+)-[a-f0-9]+$/.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    await fs.rm(path.join(paths.tmp, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

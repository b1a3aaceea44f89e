/** Which images containers still need (containers live under paths.containers/<id>/container.json). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../state/paths.js';

export async function containersUsing(paths: Paths, imageId: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.containers);
  } catch {
    return [];
  }
  const users: string[] = [];
  for (const name of names) {
    try {
      const c = JSON.parse(await fs.readFile(path.join(paths.containers, name, 'container.json'), 'utf8')) as {
        image?: { id?: string };
      };
      if (c.image?.id === imageId) users.push(name);
    } catch {
      /* a container being created or removed right now */
    }
  }
  return users;
}

export async function imageInUse(paths: Paths, imageId: string): Promise<boolean> {
  return (await containersUsing(paths, imageId)).length > 0;
}

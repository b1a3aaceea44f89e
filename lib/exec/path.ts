/** Finding a host program the way a shell would, for argv that must not depend on another PATH. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(dir, program);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Host files a member names (an --env-file) are read by a process running as that member
 * (util-linux setpriv with their uid, gid and groups), never by the service's root: what
 * they get is what they could read themselves, whatever links or races the path holds.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import type { Caller } from './caller.js';

/** setpriv argv running `command` as the caller, with the supplementary groups of their account. */
export function asCallerArgv(caller: Pick<Caller, 'uid' | 'gid'>, command: readonly string[]): string[] {
  return ['setpriv', `--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--init-groups', '--reset-env', '--', ...command];
}

export async function readAsCaller(ctx: Context, caller: Caller, file: string): Promise<string> {
  const r = await ctx.run(asCallerArgv(caller, ['cat', '--', file]), { reject: false });
  if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `cannot read ${file}`);
  return r.stdout;
}

/** Copy `file` (any bytes: a package) to `dest`, a new file of the service's, reading it as the caller. */
export async function copyAsCaller(caller: Pick<Caller, 'uid' | 'gid'>, file: string, dest: string): Promise<void> {
  const out = await fs.open(dest, 'wx', 0o600);
  try {
    const [cmd, ...args] = asCallerArgv(caller, ['cat', '--', file]);
    const child = spawn(cmd!, args, { stdio: ['ignore', out.fd, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('close', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(stderr.trim() || `cannot read ${file}`);
  } finally {
    await out.close();
  }
}

/**
 * Host files a member names (an --env-file) are read by a process running as that member
 * (util-linux setpriv with their uid, gid and groups), never by the service's root: what
 * they get is what they could read themselves, whatever links or races the path holds.
 */
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

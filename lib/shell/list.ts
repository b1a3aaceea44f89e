/**
 * `racker shell ls`: the caller's shell containers (toolbox list), with what each forwards
 * and exports. A shell is a container whose record says whose shell it is; one made before
 * records said so is known by its name (account.ts petName: shell-USER-IMAGE).
 */
import type { Context } from '../context.js';
import { petName } from '../container/account.js';
import { visibleContainers, type ContainerRecord } from '../container/record.js';
import { psRow } from '../container/view.js';
import { forwardedKinds } from './desktop.js';

export interface ShellRow {
  ID: string;
  Names: string;
  Image: string;
  RunningFor: string;
  Status: string;
  Desktop: string;
  Exports: string;
}

/** Whether `r` is the shell of the account `uid`/`name`. Pure. */
export function isShellOf(r: ContainerRecord, uid: number, name: string): boolean {
  if (r.config.shell) return r.config.shell.user.uid === uid;
  return r.config.boot && r.name.startsWith(petName(name, '').replace(/-*$/, '-'));
}

export function shellRow(r: ContainerRecord, now: number, truncate: boolean): ShellRow {
  const ps = psRow(r, now, truncate);
  const exports = r.config.shell?.exports ?? [];
  return {
    ID: ps.ID,
    Names: ps.Names,
    Image: ps.Image,
    RunningFor: ps.RunningFor,
    Status: ps.Status,
    Desktop: r.config.shell?.desktop ? forwardedKinds(r.config.shell.desktop).join(',') : 'none',
    Exports: exports.map((e) => e.name).join(',') || '-',
  };
}

export async function listShells(ctx: Context, account: { uid: number; name: string }, truncate: boolean): Promise<ShellRow[]> {
  const now = ctx.clock().getTime();
  return (await visibleContainers(ctx))
    .filter((r) => isShellOf(r, account.uid, account.name))
    .sort((a, b) => b.created.localeCompare(a.created))
    .map((r) => shellRow(r, now, truncate));
}

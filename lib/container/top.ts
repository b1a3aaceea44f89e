/**
 * racker top / GET /containers/{id}/top: the host's `ps` (default -ef), only the rows of the
 * container's processes — those in its PID namespace, commands of `exec` included — as docker's.
 */
import { readdirSync, statSync } from 'node:fs';
import type { Context } from '../context.js';
import { ConflictError, UsageError } from '../errors.js';
import { liveState, type ContainerRecord } from './record.js';

/** Host PIDs of every process in the PID namespace of `leader` (the container's PID 1). */
export function containerPids(leader: number): Set<number> {
  const ns = statSync(`/proc/${leader}/ns/pid`).ino;
  const pids = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}/ns/pid`).ino === ns) pids.add(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface Top {
  Titles: string[];
  Processes: string[][];
}

/** ps's table, the rows whose PID column is one of `pids` (the last column keeps its spaces). */
export function filterPs(output: string, pids: ReadonlySet<number>): Top {
  const [header = '', ...lines] = output.split('\n').filter((l) => l.trim() !== '');
  const titles = header.trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new UsageError("couldn't find PID field in ps output (ps options must keep the PID column)");
  const processes = lines
    .map((l) => {
      const fields = l.trim().split(/\s+/);
      return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    })
    .filter((row) => pids.has(Number(row[pidColumn])));
  return { Titles: titles, Processes: processes };
}

export async function topOf(ctx: Context, record: ContainerRecord, psArgs: readonly string[] = ['-ef']): Promise<Top> {
  const state = liveState(record);
  if (state.status !== 'running' || !state.leaderPid) throw new ConflictError(`container ${record.name} is not running`);
  const r = await ctx.run(['ps', ...psArgs], { reject: false });
  if (r.exitCode !== 0) throw new UsageError(`ps ${psArgs.join(' ')} failed: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  return filterPs(r.stdout, containerPids(state.leaderPid));
}

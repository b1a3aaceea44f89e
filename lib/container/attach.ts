/**
 * racker attach: a running container's output from now on, until it ends; the exit code is
 * its command's. The output is read from the container's log (what its supervisor writes),
 * so any number of attaches and `logs -f` can watch one container.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { promises as fs } from 'node:fs';
import { followLogs } from './follow.js';
import { startContainer } from './start.js';
import type { LogEntry } from './logs.js';
import { liveState, readContainer, type ContainerRecord } from './record.js';
import { emit } from '../events/log.js';

export async function attachOutput(ctx: Context, record: ContainerRecord, write: (e: LogEntry) => void): Promise<number> {
  if (liveState(record).status !== 'running') throw new RackerError('You cannot attach to a stopped container, start it first', { exitCode: 1 });
  emit(ctx, { type: 'container', action: 'attach', container: record });
  await followLogs(ctx, record, { follow: true, tail: 0, write });
  const end = await readContainer(ctx.paths, record.id);
  // An --rm container is gone with its code, as after `wait`.
  return end ? (liveState(end).exitCode ?? 0) : 0;
}

/**
 * `start -a` (and `-i`): start it and print this run's output until it ends; racker's exit
 * code is its command's. `input`: the command's stdin (`-i`, a container created with -i).
 */
export async function startAttached(ctx: Context, record: ContainerRecord, write: (e: LogEntry) => void, input?: NodeJS.ReadableStream): Promise<number> {
  const from = await fs.stat(ctx.paths.containerLog(record.id)).then((s) => s.size, () => 0);
  emit(ctx, { type: 'container', action: 'attach', container: record });
  const started = await startContainer(ctx, record, 60, input);
  await followLogs(ctx, started, { follow: true, tail: Infinity, write, from });
  const end = await readContainer(ctx.paths, record.id);
  return end ? (liveState(end).exitCode ?? 0) : 0;
}

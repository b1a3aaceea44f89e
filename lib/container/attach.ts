/**
 * racker attach: a running container's output from now on, until it ends; the exit code is
 * its command's. The output is read from the container's log (what its supervisor writes),
 * so any number of attaches and `logs -f` can watch one container.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { followLogs } from './follow.js';
import type { LogEntry } from './logs.js';
import { liveState, readContainer, type ContainerRecord } from './record.js';

export async function attachOutput(ctx: Context, record: ContainerRecord, write: (e: LogEntry) => void): Promise<number> {
  if (liveState(record).status !== 'running') throw new RackerError('You cannot attach to a stopped container, start it first', { exitCode: 1 });
  await followLogs(ctx, record, { follow: true, tail: 0, write });
  const end = await readContainer(ctx.paths, record.id);
  // An --rm container is gone with its code, as after `wait`.
  return end ? (liveState(end).exitCode ?? 0) : 0;
}

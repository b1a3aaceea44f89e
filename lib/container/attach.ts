/**
 * racker attach: a running container's output from now on, until it ends; the exit code is
 * its command's. The output is read from the container's log (what its supervisor writes),
 * so any number of attaches and `logs -f` can watch one container.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { promises as fs } from 'node:fs';
import { endedExitCode } from './ended.js';
import { followLogs } from './follow.js';
import { startContainer } from './start.js';
import type { LogEntry } from './logs.js';
import { liveState, readContainer, type ContainerRecord } from './record.js';
import { emit } from '../events/log.js';

/** Where the log ends now: an attach's output begins there, even if it starts reading later. */
export async function logEnd(ctx: Context, id: string): Promise<number> {
  return fs.stat(ctx.paths.containerLog(id)).then((s) => s.size, () => 0);
}

/**
 * `detach`: aborted when the user detaches (the detach keys): the answer is then undefined
 * and the container keeps running. `from`: the log's end when the attach began (logEnd), so
 * that an answer to input forwarded meanwhile is not missed.
 */
export async function attachOutput(ctx: Context, record: ContainerRecord, write: (e: LogEntry) => void, detach?: AbortSignal, from?: number): Promise<number | undefined> {
  if (liveState(record).status !== 'running') throw new RackerError('You cannot attach to a stopped container, start it first', { exitCode: 1 });
  emit(ctx, { type: 'container', action: 'attach', container: record });
  await followLogs(ctx, record, { follow: true, ...(from === undefined ? { tail: 0 } : { tail: Infinity, from }), write, ...(detach ? { signal: detach } : {}) });
  if (detach?.aborted) {
    emit(ctx, { type: 'container', action: 'detach', container: record });
    return undefined;
  }
  return exitCodeAfter(ctx, record.id);
}

/** The code of a container that ended: from its record, or for a removed --rm container from its note. */
export async function exitCodeAfter(ctx: Context, id: string): Promise<number> {
  const end = await readContainer(ctx.paths, id);
  return (end ? liveState(end).exitCode : await endedExitCode(ctx.paths, id)) ?? 0;
}

/**
 * `start -a` (and `-i`): start it and print this run's output until it ends; racker's exit
 * code is its command's. `input`: the command's stdin (`-i`, a container created with -i).
 */
export async function startAttached(ctx: Context, record: ContainerRecord, write: (e: LogEntry) => void, input?: NodeJS.ReadableStream): Promise<number> {
  // Opened (made, if this is the first run) before the start: an --rm container that ends at
  // once is removed with its log, and the open log still holds what it wrote.
  emit(ctx, { type: 'container', action: 'attach', container: record });
  const log = await fs.open(ctx.paths.containerLog(record.id), 'a+', 0o640);
  try {
    const { size: from } = await log.stat();
    const started = await startContainer(ctx, record, 60, input);
    await followLogs(ctx, started, { follow: true, tail: Infinity, write, from, log });
    return await exitCodeAfter(ctx, record.id);
  } finally {
    await log.close();
  }
}

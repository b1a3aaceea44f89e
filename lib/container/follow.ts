/** `logs` and `logs -f`: print the log, then keep printing until the container ends. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { readLog, type LogEntry } from './logs.js';
import { liveState, readContainer, type ContainerRecord } from './record.js';

export async function followLogs(
  ctx: Context,
  record: ContainerRecord,
  opts: { follow: boolean; tail: number; write: (e: LogEntry) => void; from?: number },
): Promise<void> {
  const file = ctx.paths.containerLog(record.id);
  // from: a byte offset in the log (where a run that `start -a` began writes).
  let { entries, end } = await readLog(file, opts.from ?? 0);
  if (opts.tail !== Infinity) entries = opts.tail > 0 ? entries.slice(-opts.tail) : [];
  entries.forEach(opts.write);
  if (!opts.follow) return;
  for (;;) {
    const current = await readContainer(ctx.paths, record.id);
    const running = current !== undefined && liveState(current).status === 'running';
    const next = await readLog(file, end);
    next.entries.forEach(opts.write);
    end = next.end;
    if (!running) return;
    await sleep(100);
  }
}

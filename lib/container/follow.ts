/** `logs` and `logs -f`: print the log, then keep printing until the container ends. */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { readLogAt, type LogEntry } from './logs.js';
import { liveState, readContainer, type ContainerRecord } from './record.js';

export async function followLogs(
  ctx: Context,
  record: ContainerRecord,
  /** `signal`: stop following (attach's detach keys); what was written so far stays written. */
  opts: { follow: boolean; tail: number; write: (e: LogEntry) => void; from?: number; log?: FileHandle; signal?: AbortSignal },
): Promise<void> {
  const file = ctx.paths.containerLog(record.id);
  // Held open to the end: an --rm container's log is unlinked with it, and what it wrote
  // last must still reach a follower. Not there yet (a created container): opened once it is.
  let handle = opts.log ?? (await fs.open(file, 'r').catch(() => undefined));
  const read = async (from: number) => {
    handle ??= await fs.open(file, 'r').catch(() => undefined);
    return handle ? readLogAt(handle, from) : { entries: [], end: from };
  };
  try {
    // from: a byte offset in the log (where a run that `start -a` began writes).
    let { entries, end } = await read(opts.from ?? 0);
    if (opts.tail !== Infinity) entries = opts.tail > 0 ? entries.slice(-opts.tail) : [];
    entries.forEach(opts.write);
    if (!opts.follow) return;
    while (!opts.signal?.aborted) {
      const current = await readContainer(ctx.paths, record.id);
      const running = current !== undefined && liveState(current).status === 'running';
      const next = await read(end);
      next.entries.forEach(opts.write);
      end = next.end;
      if (!running) return;
      await sleep(100, undefined, opts.signal ? { signal: opts.signal } : undefined).catch(() => undefined);
    }
  } finally {
    if (!opts.log) await handle?.close();
  }
}

/**
 * Container output in docker's json-file format: one JSON object per line,
 * {"log": "text\n", "stream": "stdout"|"stderr", "time": RFC3339}. stdout and stderr
 * stay apart, and `logs -t` has a time for every line.
 */
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export type Stream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: Stream;
  time: string;
}

export interface LogWriter {
  write(stream: Stream, chunk: Buffer): void;
  close(): Promise<void>;
}

export function createLogWriter(file: string, clock: () => Date = () => new Date()): LogWriter {
  const out: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o640 });
  const partial: Record<Stream, string> = { stdout: '', stderr: '' };
  const emit = (stream: Stream, text: string) => {
    out.write(`${JSON.stringify({ log: text, stream, time: clock().toISOString() })}\n`);
  };
  return {
    write(stream, chunk) {
      const text = partial[stream] + chunk.toString('utf8');
      const lines = text.split('\n');
      partial[stream] = lines.pop()!;
      for (const line of lines) emit(stream, `${line}\n`);
    },
    async close() {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream]) emit(stream, partial[stream]);
        partial[stream] = '';
      }
      await new Promise<void>((resolve) => out.end(resolve));
    },
  };
}

export function parseLogLines(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as LogEntry;
      if (typeof e.log === 'string' && (e.stream === 'stdout' || e.stream === 'stderr')) entries.push(e);
    } catch {
      /* a line being written right now */
    }
  }
  return entries;
}

export async function readLog(file: string, from = 0): Promise<{ entries: LogEntry[]; end: number }> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return { entries: [], end: from };
  }
  try {
    return await readLogAt(handle, from);
  } finally {
    await handle.close();
  }
}

/** The whole lines from byte `from` of an open log (a follower holds it open: an --rm container's log is unlinked at its end). */
export async function readLogAt(handle: FileHandle, from: number): Promise<{ entries: LogEntry[]; end: number }> {
  const { size } = await handle.stat();
  if (size <= from) return { entries: [], end: from };
  const buf = Buffer.alloc(size - from);
  await handle.read(buf, 0, buf.length, from);
  // Only whole lines; a partial last line is read next time.
  const text = buf.toString('utf8');
  const lastNl = text.lastIndexOf('\n');
  if (lastNl < 0) return { entries: [], end: from };
  return { entries: parseLogLines(text.slice(0, lastNl + 1)), end: from + Buffer.byteLength(text.slice(0, lastNl + 1)) };
}

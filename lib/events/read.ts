/**
 * Reading the event log (log.ts) as dockerd answers GET /events: with `since` or `until`, the
 * matching old events first (the rotated file, then the current one); then, unless `until`
 * has passed, the new ones as they are appended, until `until` or until the caller stops.
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { Paths } from '../state/paths.js';
import { eventMatches, type EventFilters } from './filter.js';
import { nowNano, type EventMessage } from './log.js';

export interface WatchOptions {
  /** Nanoseconds since the epoch. */
  since?: bigint;
  until?: bigint;
  filters: EventFilters;
  /** Stop following (the client went away). */
  signal?: AbortSignal;
  pollMs?: number;
}

/** A stored line, parsed; its exact timeNano read from the text (JSON.parse would round it). */
export interface StoredEvent {
  line: string;
  message: EventMessage;
  nano: bigint;
}

export function parseEventLine(line: string): StoredEvent | undefined {
  try {
    const m = /"timeNano":(\d+)\}$/.exec(line);
    if (!m) return undefined;
    const message = JSON.parse(line) as EventMessage;
    message.timeNano = m[1]!;
    return { line, message, nano: BigInt(m[1]!) };
  } catch {
    return undefined;
  }
}

/**
 * A time bound as the Engine API takes it: unix seconds with up to 9 decimals
 * ("1700000000.123456789"), exact; else what `logs --since` takes (RFC 3339, a duration before now).
 */
export function parseEventTime(name: string, value: string, nowMs: number, parseOther: (flag: string, value: string, now: number) => number): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const ms = parseOther(name, value, nowMs);
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

interface Position {
  ino: number;
  offset: number;
}

async function statOrNothing(file: string): Promise<{ ino: number; size: number } | undefined> {
  return fs.stat(file).then(
    (s) => ({ ino: s.ino, size: s.size }),
    () => undefined,
  );
}

/** The whole lines of file between start and end (a line being written is left for the next read). */
async function readLines(file: string, start: number, end: number): Promise<{ lines: string[]; next: number }> {
  if (end <= start) return { lines: [], next: start };
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (!fh) return { lines: [], next: start };
  try {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const cut = text.lastIndexOf('\n');
    if (cut < 0) return { lines: [], next: start };
    return { lines: text.slice(0, cut).split('\n').filter(Boolean), next: start + Buffer.byteLength(text.slice(0, cut + 1)) };
  } finally {
    await fh.close();
  }
}

/** Events in the log, oldest first, with where the current file ended when read. */
export async function readStoredEvents(paths: Pick<Paths, 'events'>): Promise<{ events: StoredEvent[]; position: Position }> {
  const current = (await statOrNothing(paths.events)) ?? { ino: 0, size: 0 };
  const old = await statOrNothing(`${paths.events}.1`);
  const lines = [
    ...(old ? (await readLines(`${paths.events}.1`, 0, old.size)).lines : []),
  ];
  const now = await readLines(paths.events, 0, current.size);
  lines.push(...now.lines);
  const events = lines.map(parseEventLine).filter((e): e is StoredEvent => e !== undefined);
  return { events, position: { ino: current.ino, offset: now.next } };
}

/** Lines appended since `pos` (finishing the rotated file first when the log was rotated). */
async function newLines(file: string, pos: Position): Promise<{ lines: string[]; pos: Position }> {
  const st = await statOrNothing(file);
  const lines: string[] = [];
  let at = pos;
  if (!st) return { lines, pos: at };
  if (st.ino !== at.ino) {
    const old = await statOrNothing(`${file}.1`);
    if (old && old.ino === at.ino) lines.push(...(await readLines(`${file}.1`, at.offset, old.size)).lines);
    at = { ino: st.ino, offset: 0 };
  }
  const got = await readLines(file, at.offset, st.size);
  lines.push(...got.lines);
  return { lines, pos: { ino: at.ino, offset: got.next } };
}

/**
 * Write each matching event to `write`, as dockerd's GET /events: old ones when `since` or
 * `until` is given, then new ones until `until` (none when it has passed) or `signal`.
 */
export async function watchEvents(paths: Pick<Paths, 'events'>, opts: WatchOptions, write: (e: StoredEvent) => void): Promise<void> {
  const { since, until, filters } = opts;
  if (since !== undefined && until !== undefined && until < since) throw new UsageError(`since time (${since}) cannot be after until time (${until})`);
  const inRange = (e: StoredEvent) => (since === undefined || e.nano >= since) && (until === undefined || e.nano <= until);
  const wanted = (e: StoredEvent) => inRange(e) && eventMatches(filters, e.message);
  const { events, position } = await readStoredEvents(paths);
  if (since !== undefined || until !== undefined) for (const e of events) if (wanted(e)) write(e);
  if (until !== undefined && until <= nowNano()) return;
  let pos = position;
  const pollMs = opts.pollMs ?? 100;
  while (!opts.signal?.aborted) {
    if (until !== undefined && nowNano() > until) break;
    const got = await newLines(paths.events, pos);
    pos = got.pos;
    for (const line of got.lines) {
      const e = parseEventLine(line);
      if (e && wanted(e)) write(e);
    }
    await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
  }
  // What came in the last moment before `until`.
  if (!opts.signal?.aborted) for (const line of (await newLines(paths.events, pos)).lines) {
    const e = parseEventLine(line);
    if (e && wanted(e)) write(e);
  }
}

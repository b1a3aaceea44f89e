/**
 * The event log: every container, image, network and volume action racker performs, one
 * JSON line each in docker's event shape, appended to <lib>/events.log by whoever performs
 * it (the CLI, a detached supervisor, the API service). There is no daemon to hold events
 * in memory, so the file is what `racker events` and GET /events read.
 *
 * Several writers: each line goes out in one write(2) on a descriptor opened with O_APPEND,
 * so lines never interleave (a line is kept under PIPE_BUF bytes, attributes dropped
 * first). No fsync: an event is a report, not state, and a start must not wait for a disk.
 * Bounded: past `maxBytes` the file is renamed to events.log.1 (replacing the older one), so
 * old events fall off as in docker's ring buffer.
 *
 * This module is on the hot path of every start (the supervisor imports it): node:fs only.
 */
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { Paths } from '../state/paths.js';

export type EventType = 'container' | 'image' | 'network' | 'volume';

/** docker's events.Message, with the legacy status/id/from it still fills for containers and images. */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  /** Nanoseconds since the epoch: beyond 2^53, so kept as a string here and written as a JSON number. */
  timeNano: string;
}

/** The container fields an event names (a ContainerRecord has them; no import of record.ts here). */
export interface ContainerLike {
  id: string;
  name: string;
  config: { imageName: string; labels?: Record<string, string> };
  /** A member's container (lib/access): named in its events, so a member's stream shows theirs. */
  owner?: { uid: number };
}

/** The attribute naming a member's container's owner (a uid), over any label of that name. */
export const OWNER_ATTRIBUTE = 'racker.owner';

export type EventInput =
  | { type: 'container'; action: string; container: ContainerLike; attributes?: Record<string, string> }
  | { type: 'image' | 'network' | 'volume'; action: string; id: string; attributes?: Record<string, string> };

/** What emit needs of a Context (tag.ts has only the paths). */
export interface EventSink {
  paths: Pick<Paths, 'events' | 'container' | 'lib'>;
  env?: NodeJS.ProcessEnv;
  log?: { debug(line: string): void };
}

/** A write(2) of at most PIPE_BUF bytes: the size Linux keeps whole for pipes, ample for one event. */
export const MAX_LINE = 4096;
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

// Wall-clock nanoseconds: the clock's milliseconds once, then the monotonic clock's progress,
// so events of one process are strictly ordered and carry real sub-millisecond digits.
const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let last = 0n;
export function nowNano(): bigint {
  let t = origin + process.hrtime.bigint();
  if (t <= last) t = last + 1n;
  last = t;
  return t;
}

/** A container's labels: its record's, or those the Engine API keeps beside it (engine-api.json). */
function containerLabels(sink: EventSink, c: ContainerLike): Record<string, string> {
  if (c.config.labels) return c.config.labels;
  try {
    const meta = JSON.parse(readFileSync(`${sink.paths.container(c.id)}/engine-api.json`, 'utf8')) as { labels?: Record<string, string> };
    return meta.labels && typeof meta.labels === 'object' ? meta.labels : {};
  } catch {
    return {};
  }
}

/** The message for an action, as dockerd's events.Log builds it. */
export function eventMessage(input: EventInput, nano: bigint, labels: Record<string, string> = {}): EventMessage {
  let id: string;
  let attributes: Record<string, string>;
  if (input.type === 'container') {
    id = input.container.id;
    // docker: the labels, then image and name over them, then the action's own attributes.
    const owner: Record<string, string> = input.container.owner ? { [OWNER_ATTRIBUTE]: String(input.container.owner.uid) } : {};
    attributes = { ...labels, image: input.container.config.imageName, name: input.container.name, ...input.attributes, ...owner };
  } else {
    id = input.id;
    attributes = { ...input.attributes };
  }
  const legacy = input.type === 'container' ? { status: input.action, id, from: attributes.image ?? '' } : input.type === 'image' ? { status: input.action, id } : {};
  return {
    ...legacy,
    Type: input.type,
    Action: input.action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local',
    time: Number(nano / 1_000_000_000n),
    timeNano: nano.toString(),
  };
}

/** One line of the log: JSON, with timeNano as the exact integer docker sends. */
export function eventLine(m: EventMessage): string {
  const text = JSON.stringify({ ...m, timeNano: 0 }).replace(/"timeNano":0\}$/, `"timeNano":${m.timeNano}}`);
  if (Buffer.byteLength(text) < MAX_LINE) return `${text}\n`;
  // Too long for one atomic write (many or long labels): keep what identifies the event.
  const keep = ['name', 'image', 'exitCode', 'signal', 'execID', 'container', 'type', 'driver', 'oldName'];
  const attributes = Object.fromEntries(Object.entries(m.Actor.Attributes).filter(([k, v]) => keep.includes(k) && v.length < 512));
  return eventLine({ ...m, Actor: { ID: m.Actor.ID.slice(0, 512), Attributes: attributes }, Action: m.Action.slice(0, 512) });
}

/**
 * Append `line` to `file` in one write; past `maxBytes`, rename it to file.1. The rename is
 * made by one writer at a time (an O_EXCL lock file; the others carry on without waiting) and
 * only while `file` is still the file this writer wrote to, so a fresh log is never rotated.
 */
export function appendEvent(file: string, line: string, maxBytes = DEFAULT_MAX_BYTES): void {
  const fd = openSync(file, 'a', 0o640);
  let size: number;
  let ino: number;
  try {
    writeSync(fd, line);
    ({ size, ino } = fstatSync(fd));
  } finally {
    closeSync(fd);
  }
  if (size > maxBytes) rotate(file, ino, maxBytes);
}

function rotate(file: string, ino: number, maxBytes: number): void {
  const lock = `${file}.rotating`;
  let held: number;
  try {
    held = openSync(lock, 'wx', 0o600);
  } catch {
    // Someone else rotates now; a lock left by a writer killed mid-rotation goes after a while.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 10_000) unlinkSync(lock);
    } catch {
      /* gone meanwhile */
    }
    return;
  }
  try {
    const st = statSync(file);
    if (st.ino === ino && st.size > maxBytes) renameSync(file, `${file}.1`);
  } catch {
    /* rotated by someone before us */
  } finally {
    closeSync(held);
    unlinkSync(lock);
  }
}

/**
 * Record an action. Never throws and never waits: an event that cannot be written (a full
 * disk, a read-only store) is lost with a debug line, and the action goes on.
 */
export function emit(sink: EventSink, input: EventInput): void {
  try {
    const labels = input.type === 'container' ? containerLabels(sink, input.container) : {};
    const max = Number(sink.env?.RACKER_EVENTS_MAX_BYTES) || DEFAULT_MAX_BYTES;
    appendEvent(sink.paths.events, eventLine(eventMessage(input, nowNano(), labels)), max);
  } catch (err) {
    sink.log?.debug(`event ${input.type} ${input.action} not recorded: ${String(err)}`);
  }
}

/** A volume's name from a bind's host path (lib/volumes/NAME/_data), named or anonymous. */
function volumeOfBind(sink: EventSink, bind: { host: string; volume?: string }): string | undefined {
  if (bind.volume) return bind.volume;
  const m = /\/volumes\/([a-f0-9]{64})\/_data$/.exec(bind.host);
  return m && bind.host === `${sink.paths.lib}/volumes/${m[1]}/_data` ? m[1] : undefined;
}

/** A container starts: its volumes are mounted first, as dockerd reports them. */
export function emitStart(sink: EventSink, container: ContainerLike & { config: { binds?: readonly { host: string; container: string; readOnly: boolean; volume?: string }[] } }): void {
  for (const bind of container.config.binds ?? []) {
    const volume = volumeOfBind(sink, bind);
    if (!volume) continue;
    emit(sink, {
      type: 'volume',
      action: 'mount',
      id: volume,
      attributes: { container: container.id, destination: bind.container, driver: 'local', propagation: '', 'read/write': String(!bind.readOnly) },
    });
  }
  emit(sink, { type: 'container', action: 'start', container });
}

/** `racker events` output: docker's default line, and the value a `--format` template sees. */
import type { EventMessage } from './log.js';

/**
 * Go's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") of a time in nanoseconds, in
 * the local zone as the docker CLI prints it (`Z` under UTC). `offsetMinutes`: minutes east of UTC.
 */
export function rfc3339NanoFixed(nano: bigint, offsetMinutes = -new Date(Number(nano / 1_000_000n)).getTimezoneOffset()): string {
  const seconds = nano / 1_000_000_000n;
  const fraction = (nano % 1_000_000_000n).toString().padStart(9, '0');
  const local = new Date(Number(seconds) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}.${fraction}Z`;
  const abs = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}.${fraction}${zone}`;
}

/** docker's prettyPrintEvent: `TIME TYPE ACTION ID (k=v, …)`, the attributes sorted by key. */
export function eventText(m: EventMessage, offsetMinutes?: number): string {
  const nano = BigInt(m.timeNano);
  const attributes = Object.keys(m.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${m.Actor.Attributes[k]}`);
  const time = rfc3339NanoFixed(nano, offsetMinutes);
  return `${time} ${m.Type} ${m.Action} ${m.Actor.ID}${attributes.length ? ` (${attributes.join(', ')})` : ''}\n`;
}

/**
 * The event as a template sees it: docker's Go field names (.Type, .Action, .Actor.ID,
 * .Status, .ID, .From, .Scope, .Time, .TimeNano) for actions, the JSON names for `json`.
 */
export function templateValue(m: EventMessage): Record<string, unknown> {
  const json: Record<string, unknown> = { ...m, timeNano: Number(m.timeNano) };
  const go: Record<string, unknown> = { Status: m.status ?? '', ID: m.id ?? '', From: m.from ?? '', Scope: m.scope, Time: m.time, TimeNano: Number(m.timeNano) };
  for (const [k, v] of Object.entries(go)) Object.defineProperty(json, k, { value: v, enumerable: false });
  return json;
}

/** docker's log times: --since/--until values, and the RFC 3339 nano timestamps of `logs -t`. */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A --since/--until value as ms since the epoch: an RFC 3339 time or date ("2024-01-02T15:04:05Z",
 * "2024-01-02"), unix seconds ("1700000000.5"), or a Go duration before `now` ("10m", "1h30m").
 */
export function parseTimeBound(flag: string, value: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return now - ms;
  }
  // Date.parse reads a bare date as UTC midnight and a time without a zone as local time, as Go's parser does here.
  const t = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value.replace(' ', 'T')) : NaN;
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "${flag}": failed to parse value as time or duration: "${value}"`);
  return t;
}

/** "2024-01-02T03:04:05.123Z" → "2024-01-02T03:04:05.123000000Z", docker's RFC3339Nano width. */
export function nanoTimestamp(iso: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z` : iso;
}

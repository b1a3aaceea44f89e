/**
 * Health checks as docker runs them: the image's HEALTHCHECK or --health-*, run inside the
 * running container every interval by whoever supervises it (the foreground `racker run`, or
 * the detached supervisor of `run -d` and `start`), the result in the container's state
 * (`State.Health`, "(healthy)" in ps). The rules of the state are pure functions here.
 */
import { UsageError } from '../errors.js';

/** docker's Healthcheck, with durations in milliseconds. */
export interface HealthConfig {
  /** ["CMD", argv…] or ["CMD-SHELL", line]. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthResult[];
}

/** The image config's and the Engine API's Healthcheck: durations in nanoseconds, 0 = the default. */
export interface DockerHealthcheck {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** What --health-* give (durations as Go writes them: "30s", "1m30s", "500ms"). */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
  none?: boolean;
}

const DEFAULT = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 };
/** docker keeps the last five results, each output cut at 4 KiB. */
export const LOG_ENTRIES = 5;
export const OUTPUT_BYTES = 4096;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1m30s", "500ms", "0") in milliseconds. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new UsageError(`invalid duration: ${text} (e.g. 30s, 1m30s, 500ms)`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}

function checkTest(test: string[]): void {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length) return;
  if (kind === 'CMD-SHELL' && rest.length === 1) return;
  throw new UsageError(`invalid health check test: ${JSON.stringify(test)} (expected ["CMD", …], ["CMD-SHELL", "…"] or ["NONE"])`);
}

/**
 * The check a container runs: --health-* over the image's HEALTHCHECK field by field (docker's
 * merge); none with --no-healthcheck, Test ["NONE"], or neither giving a test.
 */
export function healthConfigOf(image: DockerHealthcheck | undefined, flags: HealthFlags, api?: DockerHealthcheck): HealthConfig | undefined {
  if (flags.none) return undefined;
  const ms = (ns: number | undefined) => (ns ? ns / 1e6 : undefined);
  const given = api ?? {};
  const test = flags.cmd !== undefined ? ['CMD-SHELL', flags.cmd] : given.Test?.length ? given.Test : image?.Test?.length ? image.Test : undefined;
  if (!test || test[0] === 'NONE') return undefined;
  checkTest(test);
  const pick = (flag: string | undefined, apiNs: number | undefined, imageNs: number | undefined, fallback: number) => {
    const value = flag !== undefined ? parseGoDuration(flag) : (ms(apiNs) ?? ms(imageNs) ?? fallback);
    if (value < 0) throw new UsageError('health check durations must not be negative');
    return value;
  };
  const retries = flags.retries ?? (given.Retries || image?.Retries || DEFAULT.retries);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`invalid health check retries: ${retries}`);
  return {
    test,
    intervalMs: pick(flags.interval, given.Interval, image?.Interval, DEFAULT.intervalMs) || DEFAULT.intervalMs,
    timeoutMs: pick(flags.timeout, given.Timeout, image?.Timeout, DEFAULT.timeoutMs) || DEFAULT.timeoutMs,
    startPeriodMs: pick(flags.startPeriod, given.StartPeriod, image?.StartPeriod, DEFAULT.startPeriodMs),
    retries,
  };
}

/** The command a check runs inside the container. */
export function healthCommand(test: readonly string[]): string[] {
  return test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1]!] : test.slice(1);
}

export function initialHealth(): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: [] };
}

/**
 * The state after one result. Success: healthy. A failure inside the start period changes
 * nothing but the log; after it, `retries` failures in a row make it unhealthy.
 */
export function nextHealth(prev: HealthState, result: HealthResult, inStartPeriod: boolean, retries: number): HealthState {
  const Log = [...prev.Log, result].slice(-LOG_ENTRIES);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (inStartPeriod && prev.Status === 'starting') return { ...prev, Log };
  const FailingStreak = prev.FailingStreak + 1;
  return { Status: FailingStreak >= retries ? 'unhealthy' : prev.Status, FailingStreak, Log };
}

/** ps's suffix: "Up 5 seconds (healthy)". */
export function healthSuffix(health: HealthState | undefined): string {
  if (!health) return '';
  return health.Status === 'starting' ? ' (health: starting)' : ` (${health.Status})`;
}

/** The API's config form, durations in nanoseconds. */
export function dockerHealthcheck(h: HealthConfig): Required<DockerHealthcheck> {
  return { Test: h.test, Interval: h.intervalMs * 1e6, Timeout: h.timeoutMs * 1e6, StartPeriod: h.startPeriodMs * 1e6, Retries: h.retries };
}

/**
 * Restart policies, the pure part (restart.ts runs them): parsing docker's forms and deciding
 * whether an end calls for a restart. Apart from restart.ts so supervise.ts can decide at an end
 * without importing the loop that imports it.
 */
import { UsageError } from '../errors.js';

export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** on-failure only: at most this many restarts (0: no limit). */
  maximumRetryCount: number;
}

const NAMES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;

/** "no", "always", "unless-stopped", "on-failure[:N]", as docker's --restart takes them. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (!NAMES.includes(name as RestartPolicy['name']) || rest.length) throw new UsageError(`invalid restart policy: ${text} (no, always, unless-stopped, on-failure[:max-retries])`);
  if (count !== undefined && (name !== 'on-failure' || !/^\d+$/.test(count))) {
    throw new UsageError(name === 'on-failure' ? `invalid restart policy: maximum retry count must be a number: ${text}` : `invalid restart policy: maximum retry count can only be used with 'on-failure': ${text}`);
  }
  return { name: name as RestartPolicy['name'], maximumRetryCount: count === undefined ? 0 : Number(count) };
}

/** The Engine API's RestartPolicy: {Name, MaximumRetryCount}; "" means no. */
export function restartPolicyOf(api: { Name?: string; MaximumRetryCount?: number } | null | undefined): RestartPolicy | undefined {
  if (!api?.Name || api.Name === 'no') return undefined;
  const policy = parseRestartPolicy(api.Name);
  return { ...policy, maximumRetryCount: policy.name === 'on-failure' ? Math.max(0, Math.trunc(api.MaximumRetryCount ?? 0)) : 0 };
}

/**
 * Whether an end calls for a restart: never after a stop or kill (docker ignores the policy
 * for a container stopped by hand), always for always/unless-stopped, on a non-zero code
 * within the count for on-failure.
 */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number, restarts: number, stoppedByHand: boolean): boolean {
  if (!policy || policy.name === 'no' || stoppedByHand) return false;
  if (policy.name === 'on-failure') return exitCode !== 0 && (policy.maximumRetryCount === 0 || restarts < policy.maximumRetryCount);
  return true;
}

/**
 * The parts of a container record (record.ts) that restartsAfter reads. Stated here rather
 * than imported: record.ts takes RestartPolicy from this file, and the two would import each other.
 */
export interface RestartHistory {
  config: { restartPolicy?: RestartPolicy };
  state: { restartCount?: number; stoppedByHand?: boolean };
}

/** shouldRestart for a container as its record stands after an end (its policy, count and stop by hand). */
export function restartsAfter(record: RestartHistory, exitCode: number): boolean {
  return shouldRestart(record.config.restartPolicy, exitCode, record.state.restartCount ?? 0, record.state.stoppedByHand === true);
}

/** docker's delay: 100 ms doubling with each restart in a row, at most a minute; a run of 10 s or more starts it over. */
export function restartDelayMs(previousDelayMs: number, ranMs: number): number {
  if (ranMs >= 10_000 || previousDelayMs === 0) return 100;
  return Math.min(previousDelayMs * 2, 60_000);
}

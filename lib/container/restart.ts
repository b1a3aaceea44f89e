/**
 * Restart policies (`--restart`, HostConfig.RestartPolicy). racker has no daemon, so the one
 * who restarts a container is its supervisor: the detached `racker` process of `run -d` and
 * `start` runs it again after each end the policy covers, with docker's growing delay, for as
 * long as it lives. A foreground `racker run` hands the container to a detached supervisor at
 * its first end, as `docker run --restart` returns while dockerd restarts. Nobody restarts a
 * container after a reboot (docker's daemon would, for always and unless-stopped).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { readContainer, writeContainer, type ContainerRecord } from './record.js';
import { supervise, type SuperviseOptions } from './supervise.js';

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

/** docker's delay: 100 ms doubling with each restart in a row, at most a minute; a run of 10 s or more starts it over. */
export function restartDelayMs(previousDelayMs: number, ranMs: number): number {
  if (ranMs >= 10_000 || previousDelayMs === 0) return 100;
  return Math.min(previousDelayMs * 2, 60_000);
}

/**
 * After an end: if the policy says so, wait the delay and make the record ready for the next
 * run (restartCount + 1); the caller runs it. Undefined when it stays down: the policy says
 * no, it was stopped or removed meanwhile, or `signal` (the supervisor's own end) aborted.
 */
export async function nextRun(ctx: Context, id: string, exitCode: number, delayMs: number, signal?: AbortSignal): Promise<ContainerRecord | undefined> {
  const ended = await readContainer(ctx.paths, id);
  if (!ended || !shouldRestart(ended.config.restartPolicy, exitCode, ended.state.restartCount ?? 0, ended.state.stoppedByHand === true)) return undefined;
  try {
    await sleep(delayMs, undefined, signal ? { signal } : undefined);
  } catch {
    return undefined;
  }
  // A stop or rm during the delay counts as well.
  const now = await readContainer(ctx.paths, id);
  if (!now || now.state.stoppedByHand || now.state.status !== 'exited') return undefined;
  const next: ContainerRecord = { ...now, state: { status: 'created', restartCount: (now.state.restartCount ?? 0) + 1 } };
  await writeContainer(ctx.paths, next);
  return next;
}

/** The detached supervisor: run the container, and again after each end its policy covers. */
export async function superviseWithRestarts(ctx: Context, record: ContainerRecord, opts: SuperviseOptions & { signal: AbortSignal }): Promise<number> {
  let current = record;
  let delay = 0;
  for (;;) {
    const began = Date.now();
    const code = await supervise(ctx, current, opts);
    if (opts.signal.aborted) return code;
    delay = restartDelayMs(delay, Date.now() - began);
    const next = await nextRun(ctx, current.id, code, delay, opts.signal);
    if (!next) return code;
    current = next;
  }
}

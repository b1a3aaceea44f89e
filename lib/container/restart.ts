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
import { restartDelayMs, restartsAfter } from './restart-policy.js';
import { readContainer, updateState, writeContainer, type ContainerRecord } from './record.js';
import { supervise, type SuperviseOptions } from './supervise.js';

export { parseRestartPolicy, restartDelayMs, restartPolicyOf, shouldRestart, type RestartPolicy } from './restart-policy.js';

/**
 * After an end: if the policy says so, wait the delay and make the record ready for the next
 * run (restartCount + 1); the caller runs it. Undefined when it stays down: the policy says
 * no, it was stopped or removed meanwhile, or `signal` (the supervisor's own end) aborted.
 */
export async function nextRun(ctx: Context, id: string, exitCode: number, delayMs: number, signal?: AbortSignal): Promise<ContainerRecord | undefined> {
  const ended = await readContainer(ctx.paths, id);
  if (!ended) return undefined;
  if (!restartsAfter(ended, exitCode)) return stayDown(ctx, ended);
  try {
    await sleep(delayMs, undefined, signal ? { signal } : undefined);
  } catch {
    return stayDown(ctx, await readContainer(ctx.paths, id));
  }
  // A stop, an rm or a new policy (update) during the delay counts as well.
  const now = await readContainer(ctx.paths, id);
  if (!now || now.state.status !== 'exited' || !restartsAfter(now, exitCode)) return stayDown(ctx, now);
  const next: ContainerRecord = { ...now, state: { status: 'created', restartCount: (now.state.restartCount ?? 0) + 1 } };
  await writeContainer(ctx.paths, next);
  return next;
}

/** Not restarted after all: the end no longer reads as restarting (ps, inspect, rm). */
async function stayDown(ctx: Context, record: ContainerRecord | undefined): Promise<undefined> {
  if (record?.state.restarting) await updateState(ctx.paths, record.id, { restarting: undefined }).catch(() => undefined);
  return undefined;
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

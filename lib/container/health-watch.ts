/**
 * Running a container's health check: every interval, inside the running container with its
 * environment, working directory and user (as racker exec), bounded by the timeout. Only the
 * container's supervisor runs it, and it alone writes the results (health.json).
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { exitStatus } from '../exec/process.js';
import { writeJsonAtomic } from '../state/atomic.js';
import { startExec } from './exec.js';
import { healthCommand, initialHealth, nextHealth, OUTPUT_BYTES, type HealthResult, type HealthState } from './health.js';
import { healthFile, type ContainerRecord } from './record.js';
import { emit } from '../events/log.js';

async function probe(ctx: Context, record: ContainerRecord, leader: number, timeoutMs: number, clock: () => Date): Promise<HealthResult> {
  const { config } = record;
  const start = clock();
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (c: Buffer) => {
    if (size < OUTPUT_BYTES) chunks.push(c);
    size += c.length;
  };
  try {
    const proc = await startExec(
      ctx,
      { leader, command: healthCommand(config.healthcheck!.test), env: config.env, workingDir: config.workingDir, user: config.user, hostname: config.hostname, tty: false, interactive: false },
      { stdout: keep, stderr: keep },
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    const exit = await proc.ended.finally(() => clearTimeout(timer));
    const output = Buffer.concat(chunks).subarray(0, OUTPUT_BYTES).toString();
    // docker's words and code for a check that ran out of time.
    if (timedOut) return { Start: start.toISOString(), End: clock().toISOString(), ExitCode: -1, Output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
    return { Start: start.toISOString(), End: clock().toISOString(), ExitCode: exitStatus(exit), Output: output };
  } catch (err) {
    // Could not run at all (the command is missing: 127 as docker's exec; the container is going away).
    const message = err instanceof Error ? err.message : String(err);
    return { Start: start.toISOString(), End: clock().toISOString(), ExitCode: (err as { exitCode?: number }).exitCode ?? 1, Output: message };
  }
}

/** Check until `signal` aborts (the container is ending); resolves once no write is under way. */
export async function watchHealth(ctx: Context, record: ContainerRecord, leader: number, signal: AbortSignal): Promise<void> {
  const check = record.config.healthcheck;
  if (!check) return;
  const file = healthFile(ctx.paths, record.id);
  const began = Date.now();
  let state: HealthState = initialHealth();
  const save = (s: HealthState) => writeJsonAtomic(file, s, { durable: false });
  await save(state);
  for (;;) {
    try {
      await sleep(check.intervalMs, undefined, { signal });
    } catch {
      return; // aborted
    }
    const result = await probe(ctx, record, leader, check.timeoutMs, ctx.clock);
    if (signal.aborted) return; // the container ended under the check: its failure says nothing
    const before = state.Status;
    state = nextHealth(state, result, Date.now() - began < check.startPeriodMs, check.retries);
    await save(state);
    // dockerd reports a change of health, with the new status in the action.
    if (state.Status !== before) emit(ctx, { type: 'container', action: `health_status: ${state.Status}`, container: record });
  }
}

/** A new run starts with no results. */
export async function forgetHealth(ctx: Context, id: string): Promise<void> {
  await fs.rm(healthFile(ctx.paths, id), { force: true });
}

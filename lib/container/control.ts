/** stop, kill, wait: signalling a running container and waiting for its end. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { ConflictError, UsageError } from '../errors.js';
import { signalNumber } from '../exec/process.js';
import { childrenOf, processAlive, signalIfAlive } from '../exec/procfs.js';
import { liveState, readContainer, readLive, updateState, type ContainerRecord } from './record.js';
import { commandInside, nsentersInto } from './entered.js';
import { killContainerProcesses, killOrphanedLeader, removeContainerFiles } from './remove.js';
import { unmountRootfs } from './rootfs.js';
import { releaseCgroup } from './placement.js';
import { thawForEnd } from './pause.js';
import { emit } from '../events/log.js';

/**
 * systemd powers off on SIGRTMIN+4. Node knows no real-time signal names; on Linux with
 * glibc SIGRTMIN is 34 (32 and 33 are taken by the thread library).
 */
const SIGRTMIN_PLUS_4 = 38;

/** "KILL", "SIGKILL", "9" → "SIGKILL". */
export function normalizeSignal(input: string): NodeJS.Signals {
  const upper = input.toUpperCase();
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    const name = Object.entries(signalTable()).find(([, v]) => v === n)?.[0];
    if (name) return name as NodeJS.Signals;
  } else {
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (signalNumber(name) !== undefined) return name as NodeJS.Signals;
  }
  throw new UsageError(`invalid signal: ${input}`);
}

function signalTable(): Record<string, number> {
  return Object.fromEntries(
    ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGCONT', 'SIGSTOP', 'SIGWINCH'].map((s) => [s, signalNumber(s)!]),
  );
}

function requireRunning(record: ContainerRecord): number {
  const state = liveState(record);
  // A racker killed while its container booted never recorded PID 1: it is nspawn's child.
  // Signalling nspawn itself would orphan the container (it survives nspawn).
  const target = state.leaderPid ?? (state.nspawnPid ? childrenOf(state.nspawnPid)[0] : undefined) ?? state.nspawnPid;
  if (state.status !== 'running' || !target) throw new ConflictError(`container ${record.name} is not running`);
  return target;
}

/** Wait until the container has exited (its supervisor recorded it, or its processes are gone). */
export async function waitForExit(ctx: Context, id: string, timeoutMs = Infinity): Promise<ContainerRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await readLive(ctx.paths, id);
    if (!live || live.state.status !== 'running') return live?.record;
    const r = live.record;
    if (Date.now() > deadline) return r;
    await sleep(20);
  }
}

/**
 * Where docker's signals go: the container's main process. That is PID 1 in direct mode and
 * for a system container (systemd); a booted container's command is not PID 1 but the
 * process racker started inside, and the container ends with it.
 */
function signalTarget(record: ContainerRecord): number {
  const leader = requireRunning(record);
  const commandPid = record.state.commandPid;
  if (!record.config.boot || !record.config.command.length || !commandPid) return leader;
  return commandInside(commandPid) ?? leader;
}

/**
 * Send `signal` to the main process. SIGKILL returns once the container has exited, as
 * dockerd's kill does (a client inspects right after and must see it stopped); other
 * signals return at once (the command may handle them).
 */
export async function killContainer(ctx: Context, record: ContainerRecord, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const target = signalTarget(record);
  await updateState(ctx.paths, record.id, { killSignal: signal, stoppedByHand: true });
  emit(ctx, { type: 'container', action: 'kill', container: record, attributes: { signal: String(signalNumber(signal) ?? signal) } });
  // Gone between the look and the signal: it has just ended, which is what was asked.
  signalIfAlive(target, signal);
  // docker kills a paused container too: the signal is delivered once it is thawed.
  await thawForEnd(record);
  if (signal === 'SIGKILL') await waitForExit(ctx, record.id, 10_000);
}

/**
 * A system container powers off cleanly (SIGRTMIN+4 to systemd); otherwise the main process
 * (signalTarget) gets SIGTERM, or `signal` (stop -s), and the exit code is what it makes of
 * that (trap, exit 5: 5).
 * After `timeoutSeconds`, SIGKILL — like docker stop. Unless given, both come from the
 * container's --stop-signal and --stop-timeout (a system container's own signal is its
 * power-off, unless --stop-signal named another).
 */
export async function stopContainer(ctx: Context, record: ContainerRecord, timeout?: number, given?: NodeJS.Signals): Promise<void> {
  if (liveState(record).status !== 'running') {
    // docker: stopping a stopped container is fine; one waiting to be restarted stays down.
    if (record.config.restartPolicy) await updateState(ctx.paths, record.id, { stoppedByHand: true });
    return;
  }
  const timeoutSeconds = timeout ?? record.config.stopTimeout ?? 10;
  const signal = given ?? (record.config.stopSignal as NodeJS.Signals | undefined);
  // A paused container is thawed first, as docker's stop does: frozen, it can't act on the signal.
  await thawForEnd(record);
  if (record.config.boot && !record.config.command.length && signal === undefined) {
    const leader = requireRunning(record);
    // Commands of `racker exec` first: systemd's shutdown would signal them too, but they are
    // not its children, so it can't see them end and waits 10 s for them (entered.ts).
    for (const nsenter of nsentersInto(leader)) {
      const command = childrenOf(nsenter)[0];
      if (command !== undefined) signalIfAlive(command, 'SIGTERM');
    }
    await updateState(ctx.paths, record.id, { stoppedByHand: true });
    emit(ctx, { type: 'container', action: 'kill', container: record, attributes: { signal: String(SIGRTMIN_PLUS_4) } });
    process.kill(leader, SIGRTMIN_PLUS_4);
  } else {
    const target = signalTarget(record);
    await updateState(ctx.paths, record.id, { killSignal: signal ?? 'SIGTERM', stoppedByHand: true });
    emit(ctx, { type: 'container', action: 'kill', container: record, attributes: { signal: String(signalNumber(signal ?? 'SIGTERM') ?? signal) } });
    signalIfAlive(target, signal ?? 'SIGTERM');
  }
  let after = await waitForExit(ctx, record.id, timeoutSeconds < 0 ? Infinity : timeoutSeconds * 1000);
  if (after && liveState(after).status === 'running') {
    await updateState(ctx.paths, record.id, { killSignal: 'SIGKILL' });
    emit(ctx, { type: 'container', action: 'kill', container: record, attributes: { signal: '9' } });
    await killContainerProcesses(after);
    after = await waitForExit(ctx, record.id, 5000);
  }
  await reapOrphan(ctx, record.id);
  emit(ctx, { type: 'container', action: 'stop', container: record });
}

/**
 * A container whose supervisor died (racker killed -9) has nobody to unmount and record its
 * end: do it here, once its processes are gone.
 */
export async function reapOrphan(ctx: Context, id: string): Promise<void> {
  const r = await readContainer(ctx.paths, id);
  if (!r || r.state.status !== 'running' || processAlive(r.state.supervisorPid)) return;
  if (processAlive(r.state.nspawnPid)) return;
  await killOrphanedLeader(ctx, r);
  await unmountRootfs(ctx, id);
  await releaseCgroup(r.state.cgroup).catch((err: unknown) => ctx.log.debug(`cgroup cleanup: ${String(err)}`));
  const killed = r.state.killSignal;
  const exitCode = r.state.exitCode ?? (killed ? 128 + (signalNumber(killed) ?? 9) : 255);
  // Its supervisor died before it could say so.
  emit(ctx, { type: 'container', action: 'die', container: r, attributes: { exitCode: String(exitCode) } });
  if (r.config.autoRemove) await removeContainerFiles(ctx, id);
  else await updateState(ctx.paths, id, { status: 'exited', exitCode, finishedAt: ctx.clock().toISOString(), cgroup: undefined, paused: undefined });
}

/** Removing a container: stop whatever still runs, unmount, delete its files. */
import { promises as fs, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { ConflictError } from '../errors.js';
import { isRestarting, liveState, readContainer, updateState, type ContainerRecord } from './record.js';
import { removeAnonymousVolumes } from './volumes.js';
import { childrenOf, processAlive, signalIfAlive } from '../exec/procfs.js';
import { unmountRootfs, upperDir } from './rootfs.js';
import { nsentersInto } from './entered.js';
import { releaseCgroup } from './placement.js';
import { thawForEnd } from './pause.js';
import { emit } from '../events/log.js';
import { crashPoint } from '../state/crash-point.js';


const kill = (pid: number) => signalIfAlive(pid, 'SIGKILL');

/**
 * SIGKILL a container: its PID 1 (nspawn's child — the whole PID namespace dies with it),
 * and nspawn itself only while it has no child yet. Killing nspawn first would orphan
 * the container under the host's PID 1.
 */
export function killContainerTree(nspawnPid: number | undefined, leaderPid?: number): void {
  if (leaderPid) kill(leaderPid);
  if (!nspawnPid) return;
  const children = childrenOf(nspawnPid);
  for (const child of children) kill(child);
  if (!children.length && !leaderPid) kill(nspawnPid);
}

/**
 * A container whose nspawn and supervisor are both gone (its racker killed -9, then nspawn)
 * may still run, orphaned under the host's PID 1: nothing can manage it, and it would
 * outlive its record and keep its mount busy. Kill it — but only a process whose root
 * really is this container's overlay (its upperdir), never whatever reused a dead PID.
 */
export async function killOrphanedLeader(ctx: Context, record: ContainerRecord): Promise<void> {
  const leader = record.state.leaderPid;
  if (!leader || !processAlive(leader)) return;
  const upper = `upperdir=${upperDir(ctx, record.id)},`;
  const isOurs = () => {
    try {
      const root = readFileSync(`/proc/${leader}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
      return `${root},`.includes(upper);
    } catch {
      return false;
    }
  };
  if (!isOurs()) return;
  kill(leader);
  const deadline = Date.now() + 5000;
  while (processAlive(leader) && Date.now() < deadline) await sleep(10);
}

/** Kill the container and wait (bounded) until nspawn and PID 1 are gone, re-killing late children. */
export async function killContainerProcesses(record: ContainerRecord, timeoutMs = 5000): Promise<void> {
  const { leaderPid, nspawnPid } = record.state;
  // Frozen processes can't die of SIGKILL (cgroup v1): thaw a paused container first, as docker does.
  await thawForEnd(record);
  const deadline = Date.now() + timeoutMs;
  while (processAlive(nspawnPid) || processAlive(leaderPid)) {
    killContainerTree(processAlive(nspawnPid) ? nspawnPid : undefined, processAlive(leaderPid) ? leaderPid : undefined);
    // An nsenter stopped for ever holds the container's PID namespace open (entered.ts).
    if (leaderPid) for (const pid of nsentersInto(leaderPid)) signalIfAlive(pid, 'SIGKILL');
    if (Date.now() > deadline) break;
    await sleep(10);
  }
}

/** `volumes`: its anonymous volumes go too (rm -v); an --rm container's always do, as in docker. */
export async function removeContainerFiles(ctx: Context, id: string, volumes = false): Promise<void> {
  const record = await readContainer(ctx.paths, id);
  await unmountRootfs(ctx, id);
  // A supervisor killed -9 left the container's cgroup (its own teardown removes it otherwise).
  await releaseCgroup(record?.state.cgroup).catch((err: unknown) => ctx.log.debug(`cgroup cleanup: ${String(err)}`));
  // A racker killed while starting it left its network namespace named (and the veth pair in it).
  const { releaseNamespaceName } = await import('../net/kernel.js');
  await releaseNamespaceName(ctx, id);
  const dir = ctx.paths.container(id);
  // Reported before its files go: the event carries labels kept there (the Engine API's).
  if (record) emit(ctx, { type: 'container', action: 'destroy', container: record });
  // A shell's exported launchers on the host go first: once the record is gone nothing names them.
  if (record?.config.shell?.exports?.length) {
    const { removeExportFiles } = await import('../shell/exports.js');
    const kept = await removeExportFiles(ctx, record.config.shell.user, record.name, record.config.shell.exports);
    for (const f of kept) ctx.log.warn(`could not remove ${f}, exported from ${record.name}`);
  }
  // Rename first so a half-deleted container is never listed.
  const trash = `${dir}.removing`;
  crashPoint('rm:unmounted');
  await fs.rename(dir, trash).catch(() => undefined);
  crashPoint('rm:renamed');
  await fs.rm(trash, { recursive: true, force: true });
  await fs.rm(dir, { recursive: true, force: true });
  // A racker shell's racker-host-exec directory (lib/shell/host-exec.ts), kept outside the container's own.
  if (record) await (await import('../shell/host-exec.js')).removeHostExecOf(ctx.paths, record);
  if (record && (volumes || record.config.autoRemove)) await removeAnonymousVolumes(ctx, record.config.anonymousVolumes);
}

export async function removeContainer(ctx: Context, record: ContainerRecord, force: boolean, volumes = false): Promise<void> {
  const state = liveState(record);
  if (record.state.status === 'running' && state.status !== 'running') await killOrphanedLeader(ctx, record);
  if (state.status === 'running') {
    if (!force) {
      throw new ConflictError(
        `cannot remove container ${record.name}: container is running: stop the container before removing or force remove`,
      );
    }
    emit(ctx, { type: 'container', action: 'kill', container: record, attributes: { signal: '9' } });
    await killContainerProcesses(record);
    // The supervisor (if alive) notices and cleans up too; give it a moment, then do it ourselves.
    const deadline = Date.now() + 2000;
    while (processAlive(record.state.supervisorPid) && Date.now() < deadline) await sleep(20);
  }
  if (isRestarting(state)) {
    if (!force) throw new ConflictError(`You cannot remove a restarting container ${record.id}. Stop the container before attempting removal or force remove`);
    // Its supervisor, waking from the delay, finds it stopped (or gone) and leaves it down.
    await updateState(ctx.paths, record.id, { stoppedByHand: true });
  }
  await removeContainerFiles(ctx, record.id, volumes);
}

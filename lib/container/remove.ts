/** Removing a container: stop whatever still runs, unmount, delete its files. */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { liveState, processAlive, type ContainerRecord } from './record.js';
import { childrenOf } from './procfs.js';
import { unmountRootfs } from './rootfs.js';


function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

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

/** Kill the container and wait (bounded) until nspawn and PID 1 are gone, re-killing late children. */
export async function killContainerProcesses(record: ContainerRecord, timeoutMs = 5000): Promise<void> {
  const { leaderPid, nspawnPid } = record.state;
  const deadline = Date.now() + timeoutMs;
  while (processAlive(nspawnPid) || processAlive(leaderPid)) {
    killContainerTree(processAlive(nspawnPid) ? nspawnPid : undefined, processAlive(leaderPid) ? leaderPid : undefined);
    if (Date.now() > deadline) break;
    await sleep(10);
  }
}

export async function removeContainerFiles(ctx: Context, id: string): Promise<void> {
  await unmountRootfs(ctx, id);
  const dir = ctx.paths.container(id);
  // Rename first so a half-deleted container is never listed.
  const trash = `${dir}.removing`;
  await fs.rename(dir, trash).catch(() => undefined);
  await fs.rm(trash, { recursive: true, force: true });
  await fs.rm(dir, { recursive: true, force: true });
}

export async function removeContainer(ctx: Context, record: ContainerRecord, force: boolean): Promise<void> {
  const state = liveState(record);
  if (state.status === 'running') {
    if (!force) {
      throw new RackerError(
        `cannot remove container ${record.name}: container is running: stop the container before removing or force remove`,
      );
    }
    await killContainerProcesses(record);
    // The supervisor (if alive) notices and cleans up too; give it a moment, then do it ourselves.
    const deadline = Date.now() + 2000;
    while (processAlive(record.state.supervisorPid) && Date.now() < deadline) await sleep(20);
  }
  await removeContainerFiles(ctx, record.id);
}

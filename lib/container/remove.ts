/** Removing a container: stop whatever still runs, unmount, delete its files. */
import { promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { liveState, processAlive, type ContainerRecord } from './record.js';
import { unmountRootfs } from './rootfs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL the container's PID 1 and nspawn, and wait (bounded) until both are gone. */
export async function killContainerProcesses(record: ContainerRecord, timeoutMs = 5000): Promise<void> {
  const { leaderPid, nspawnPid } = record.state;
  for (const pid of [leaderPid, nspawnPid]) {
    if (pid && processAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + timeoutMs;
  while ((processAlive(nspawnPid) || processAlive(leaderPid)) && Date.now() < deadline) await sleep(10);
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

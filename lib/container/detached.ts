/**
 * `run -d`: a detached racker process supervises the container (same code as a
 * foreground run); this process waits until the container is ready, then returns.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { spawnDaemon } from '../exec/process.js';
import { readContainer, type ContainerRecord } from './record.js';
import { removeContainerFiles } from './remove.js';
import { processAlive } from '../exec/procfs.js';
import { stdinFifo } from './open-stdin.js';

/**
 * The racker entry point the supervisor runs: beside this code in the bundle (dist/bin/),
 * the built one when this runs from the sources (tests under tsx).
 */
export function rackerBin(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'racker.js');
  return existsSync(beside) ? beside : path.resolve(here, '../../dist/bin/racker.js');
}

/**
 * spawnDaemon, with the supervisor's stdin (which an interactive container's command
 * inherits) fed from `input`: the Engine API's attached connection. The command reads end
 * of file when the input ends or goes away.
 */
async function spawnWithInput(argv: readonly string[], stderrFile: string, input: NodeJS.ReadableStream): Promise<number> {
  const fd = openSync(stderrFile, 'a', 0o640);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'ignore', fd] });
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([err]) => Promise.reject(err as Error))]);
    const stdin = child.stdin!;
    stdin.on('error', () => undefined);
    input.pipe(stdin);
    input.once('close', () => stdin.end());
    child.unref();
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

/**
 * `run -di`: docker keeps the command's stdin open with nobody writing (a shell waits for
 * input instead of ending at once). A FIFO opened for reading and writing is that stdin: the
 * command holds its only writer itself, so a read blocks and never sees end of file.
 */
async function spawnWithOpenStdin(ctx: Context, argv: readonly string[], logFile: string, id: string): Promise<number> {
  const fifo = stdinFifo(ctx.paths, id);
  await fs.rm(fifo, { force: true });
  await ctx.run(['mkfifo', '-m', '600', fifo]);
  const fd = openSync(fifo, 'r+');
  try {
    return await spawnDaemon(argv, logFile, fd);
  } finally {
    // The FIFO stays: a later attach opens it by name to write into the command's stdin
    // (open-stdin.ts). With its reader gone (the container ended) that open fails at once;
    // the next start makes a new one.
    closeSync(fd);
  }
}

export async function startDetached(ctx: Context, record: ContainerRecord, bootTimeoutSeconds: number, input?: NodeJS.ReadableStream): Promise<void> {
  const argv = [process.execPath, rackerBin(), ...(ctx.log.verbose ? ['--debug'] : []), '__supervise', record.id, '--boot-timeout', String(bootTimeoutSeconds)];
  // The supervisor's own diagnostics (with --debug, its subprocesses) stay with the container.
  const logFile = path.join(ctx.paths.container(record.id), 'supervisor.log');
  const supervisorPid = input
    ? await spawnWithInput(argv, logFile, input)
    : record.config.interactive
      ? await spawnWithOpenStdin(ctx, argv, logFile, record.id)
      : await spawnDaemon(argv, logFile);
  const deadline = Date.now() + (bootTimeoutSeconds + 10) * 1000;
  for (;;) {
    const r = await readContainer(ctx.paths, record.id);
    if (!r) {
      // An --rm container that ran, ended and was removed between two looks: docker prints the ID too.
      if (record.config.autoRemove) return;
      throw new RackerError(`container ${record.id.slice(0, 12)} disappeared while starting`);
    }
    if (r.state.status === 'exited') {
      if (r.state.error) {
        // Kept for this report (supervise's keepToReport); --rm's removal is ours now.
        if (record.config.autoRemove) await removeContainerFiles(ctx, record.id);
        throw new RackerError(r.state.error, { exitCode: r.state.exitCode ?? 125 });
      }
      return; // ran and finished already: docker prints the ID too
    }
    // Ready once PID 1 is known, in direct mode too: `exec` right after `run -d` needs it.
    if (r.state.status === 'running' && r.state.leaderPid) return;
    if (r.state.status !== 'running' && !processAlive(supervisorPid)) {
      // It may have recorded why (or its end) between our read and its exit: read once more.
      const last = await readContainer(ctx.paths, record.id);
      if (!last || last.state.status !== r.state.status) continue;
      throw new RackerError(`container ${record.id.slice(0, 12)} failed to start (see ${path.join(ctx.paths.container(record.id), 'supervisor.log')})`);
    }
    if (Date.now() > deadline) throw new RackerError(`container ${record.id.slice(0, 12)} did not become ready in time`);
    await sleep(15);
  }
}

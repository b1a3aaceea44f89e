/**
 * Watching one container from start to finish: mount its root, start systemd-nspawn
 * (boot or direct mode), wait until it is ready, run the command, record the exit code,
 * tear everything down. The foreground `racker run` does this itself; `run -d` leaves it
 * to a detached `racker` process running the same code.
 */
import type { Context } from '../context.js';
import { RackerError, TestbedError } from '../errors.js';
import { exitStatus, signalNumber, startProcess, type StartedProcess } from '../exec/process.js';
import { nspawnBootArgv, nspawnDirectArgv, type ContainerNspawnOptions } from '../tools/nspawn.js';
import { waitForLeader, waitUntilBooted } from './boot.js';
import { startExec, type OutputSinks } from './exec.js';
import { hostHasMachined } from './host.js';
import { createLogWriter, type LogWriter } from './logs.js';
import { checkCommand } from './lookup.js';
import { readContainer, updateState, type ContainerRecord } from './record.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { removeContainerFiles } from './remove.js';

export interface SuperviseOptions {
  /** Pass the command's output here too (foreground run); it always goes to the log. */
  sinks?: OutputSinks;
  /** Called once the container is ready (booted, or its command started). */
  onReady?: () => void;
  /** Abort = stop the container now (Ctrl-C on a foreground run). */
  signal?: AbortSignal;
  bootTimeoutSeconds: number;
}

export function machineName(record: ContainerRecord): string {
  return `racker-${record.id.slice(0, 12)}`;
}

export function nspawnOptions(ctx: Context, record: ContainerRecord, rootfs: string): ContainerNspawnOptions {
  return {
    directory: rootfs,
    machine: machineName(record),
    hostname: record.config.hostname,
    register: hostHasMachined(),
    privateNetwork: record.config.network === 'none',
    binds: record.config.binds,
  };
}

function teeTo(log: LogWriter | undefined, sinks: OutputSinks | undefined): Required<OutputSinks> {
  return {
    stdout: (c) => {
      log?.write('stdout', c);
      sinks?.stdout?.(c);
    },
    stderr: (c) => {
      log?.write('stderr', c);
      sinks?.stderr?.(c);
    },
  };
}

/** Keep the last bit of nspawn's stderr, to explain a failed start. */
function tail(proc: StartedProcess): () => string {
  let text = '';
  proc.stderr?.on('data', (c: Buffer) => {
    text = (text + c.toString()).slice(-2000);
  });
  return () =>
    text
      .split('\n')
      .filter((l) => l.trim() && !l.includes('Attempted to remove disk file system'))
      .slice(-1)[0] ?? '';
}

export async function supervise(ctx: Context, initial: ContainerRecord, opts: SuperviseOptions): Promise<number> {
  const { id, config } = initial;
  const tty = config.tty;
  const log = tty ? undefined : createLogWriter(ctx.paths.containerLog(id), ctx.clock);
  const sinks = teeTo(log, opts.sinks);
  let nspawn: StartedProcess | undefined;
  let nspawnExit: Promise<number> | undefined;
  let exitCode = 125;
  let error: string | undefined;
  const abort = () => {
    // Kill the container's PID 1 (all of it goes with it), or nspawn if it has none yet.
    void readContainer(ctx.paths, id).then((r) => {
      const target = r?.state.leaderPid ?? nspawn?.pid;
      if (target) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  };
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    const rootfs = await mountRootfs(ctx, id, config.imageId);
    const base = nspawnOptions(ctx, initial, rootfs);
    const deadline = Date.now() + opts.bootTimeoutSeconds * 1000;
    if (config.boot) {
      nspawn = await startProcess(nspawnBootArgv(base), {
        stdout: config.command.length ? 'ignore' : 'pipe',
        stderr: 'pipe',
        detached: true,
        log: ctx.log,
      });
      // A system container without a command: its console is what `logs` shows.
      if (!config.command.length) nspawn.stdout?.on('data', sinks.stdout);
      const lastError = tail(nspawn);
      let running = true;
      nspawnExit = nspawn.exited.then((e) => {
        running = false;
        return exitStatus(e);
      });
      await updateState(ctx.paths, id, { status: 'running', supervisorPid: process.pid, nspawnPid: nspawn.pid, startedAt: ctx.clock().toISOString() });
      try {
        const leader = await waitForLeader(nspawn.pid, deadline, () => running);
        await waitUntilBooted(ctx, leader, deadline, () => running, opts.bootTimeoutSeconds);
        await updateState(ctx.paths, id, { leaderPid: leader });
        opts.onReady?.();
        if (config.command.length) {
          const proc = await startExec(
            ctx,
            { leader, rootfs, command: config.command, env: config.env, workingDir: config.workingDir, user: config.user, hostname: config.hostname, tty, interactive: config.interactive },
            sinks,
          );
          exitCode = exitStatus(await proc.exited);
          process.kill(leader, 'SIGKILL');
          await nspawnExit;
        } else {
          exitCode = await nspawnExit;
        }
      } catch (err) {
        if (err instanceof TestbedError && lastError()) err.message += `: ${lastError()}`;
        throw err;
      }
    } else {
      await checkCommand(rootfs, config.command[0]!, config.env, config.workingDir || '/');
      nspawn = await startProcess(
        nspawnDirectArgv({ ...base, command: config.command, env: config.env, workingDir: config.workingDir, user: config.user, tty }),
        {
          stdin: config.interactive || tty ? 'inherit' : 'ignore',
          stdout: tty ? 'inherit' : 'pipe',
          // Piped even with -t (the command's output then goes through the pty on stdout):
          // nspawn's own teardown warning must not reach the user.
          stderr: 'pipe',
          detached: !tty,
          log: ctx.log,
        },
      );
      nspawn.stdout?.on('data', sinks.stdout);
      nspawn.stderr?.on('data', (c: Buffer) => {
        // nspawn's own complaint when it tears down the overlay: not the command's output.
        if (!c.toString().startsWith('Attempted to remove disk file system')) sinks.stderr(c);
      });
      let running = true;
      nspawnExit = nspawn.exited.then((e) => {
        running = false;
        return exitStatus(e);
      });
      await updateState(ctx.paths, id, { status: 'running', supervisorPid: process.pid, nspawnPid: nspawn.pid, startedAt: ctx.clock().toISOString() });
      const leader = await waitForLeader(nspawn.pid, deadline, () => running).catch(() => undefined);
      if (leader) await updateState(ctx.paths, id, { leaderPid: leader });
      opts.onReady?.();
      exitCode = await nspawnExit;
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    if (err instanceof RackerError) exitCode = err.exitCode;
    if (nspawn) {
      nspawn.kill('SIGKILL');
      await nspawnExit;
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    await log?.close();
    const latest = await readContainer(ctx.paths, id);
    // A kill from `racker kill`/`stop` or Ctrl-C: report it as the signal, like docker (137…).
    const killed = latest?.state.killSignal;
    if (killed && exitCode !== 0 && !error) exitCode = 128 + (signalNumber(killed) ?? 9);
    if (opts.signal?.aborted && !error) exitCode = 128 + (signalNumber(String(opts.signal.reason ?? 'SIGINT')) ?? 2);
    await unmountRootfs(ctx, id);
    if (config.autoRemove) await removeContainerFiles(ctx, id);
    else {
      await updateState(ctx.paths, id, {
        status: 'exited',
        exitCode,
        finishedAt: ctx.clock().toISOString(),
        ...(error ? { error } : {}),
      });
    }
  }
  return exitCode;
}

/**
 * Watching one container from start to finish: mount its root, start systemd-nspawn
 * (boot or direct mode), wait until it is ready, run the command, record the exit code,
 * tear everything down. The foreground `racker run` does this itself; `run -d` leaves it
 * to a detached `racker` process running the same code.
 */
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Context } from '../context.js';
import { RackerError, TestbedError, UsageError } from '../errors.js';
import { exitStatus, signalNumber, startProcess, type StartedProcess } from '../exec/process.js';
import { nspawnBootArgv, nspawnDirectArgv, type ContainerNspawnOptions } from '../tools/nspawn.js';
import { waitForLeader, waitUntilBooted } from './boot.js';
import { startExec, workingDirIn, type OutputSinks } from './exec.js';
import { noteEnded } from './ended.js';
import { watchHealth } from './health-watch.js';
import { hostHasMachined, initTool, switchUserTool } from './host.js';
import { createLogWriter, type LogWriter } from './logs.js';
import { connectOutputChannel } from './output-channel.js';
import { makeVarLinkTargets } from './var-links.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { checkCommand, resolveUserInRoot } from './lookup.js';
import { machineName, readContainer, updateState, type ContainerRecord } from './record.js';
import { restartsAfter } from './restart-policy.js';
import { linkEnvAtStart } from './links.js';
import { processAlive } from '../exec/procfs.js';
import { killContainerTree, removeContainerFiles } from './remove.js';
import { memberBindsDir, mountRootfs, unmountRootfs } from './rootfs.js';
import { nspawnRefusedEnv, tmpfsMountOptions } from './spec.js';
import { announce, attachNetwork, bridgeNetworkOf, type NetworkAttachment } from '../net/attach.js';
import { inCgroupArgv } from '../tools/cgroup.js';
import { nspawnProperties } from './limits.js';
import { enterFiles, noteRegisteredPlace, prepareCgroup, releaseCgroup, type OwnedPlace } from './placement.js';
import { emit, emitStart } from '../events/log.js';
import { crashPoint } from '../state/crash-point.js';

export interface SuperviseOptions {
  /** Pass the command's output here too (foreground run); it always goes to the log. */
  sinks?: OutputSinks;
  /** Called once the container is ready (booted, or its command started). */
  onReady?: () => void;
  /** Abort = kill the container now (Ctrl-C on a foreground run); the reason is the signal name. */
  signal?: AbortSignal;
  /** The detached supervisor of `run -d`: a process waits for the start and reports its failure. */
  detached?: boolean;
  bootTimeoutSeconds: number;
}

export function nspawnOptions(record: ContainerRecord, rootfs: string, network?: NetworkAttachment): ContainerNspawnOptions {
  const register = hostHasMachined();
  return {
    directory: rootfs,
    machine: machineName(record.id),
    hostname: record.config.hostname,
    register,
    // A registered machine's scope is systemd's: its limits are the scope's properties.
    ...(register && record.config.resources ? { properties: nspawnProperties(record.config.resources) } : {}),
    privateNetwork: record.config.network === 'none' || record.config.networkDetached === true,
    ...(network ? { networkNamespacePath: network.namespacePath, resolvConf: 'off' as const } : {}),
    binds: record.config.binds,
    ...(record.config.tmpfs?.length ? { tmpfs: record.config.tmpfs.map((t) => ({ container: t.container, options: tmpfsMountOptions(t) })) } : {}),
  };
}

/** Lines systemd-nspawn itself prints about the container, not the command's output. */
export function isNspawnNoise(line: string): boolean {
  return /^Attempted to remove disk file system under "\/run\/systemd\/nspawn\/propagate\//.test(line) || /^Container racker-[a-f0-9]{12} (terminated by signal|exited|failed)/.test(line);
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

/** nspawn's stderr in direct mode carries the command's stderr and nspawn's own lines: drop the latter. */
function withoutNoise(sink: (c: Buffer) => void): (c: Buffer) => void {
  return (c) => {
    const text = c.toString();
    if (!text.includes('Attempted to remove') && !text.includes('Container racker-')) return sink(c);
    const kept = text.split(/(?<=\n)/).filter((l) => !isNspawnNoise(l)).join('');
    if (kept) sink(Buffer.from(kept));
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
      .filter((l) => l.trim() && !isNspawnNoise(l))
      .slice(-1)[0] ?? '';
}

/**
 * nspawn exits 1 when the container's PID 1 dies of a signal (kill -9 from outside) and
 * says which on stderr: report 128+N like docker (137), not 1.
 */
export function signalExitFromNspawn(text: string): number | undefined {
  const m = /^Container racker-[a-f0-9]{12} terminated by signal ([A-Z0-9+]+)\.?$/m.exec(text);
  const n = m ? signalNumber(`SIG${m[1]}`) : undefined;
  return n === undefined ? undefined : 128 + n;
}

function signalExitOf(proc: StartedProcess): () => number | undefined {
  let text = '';
  proc.stderr?.on('data', (c: Buffer) => {
    text = (text + c.toString()).slice(-1000);
  });
  return () => signalExitFromNspawn(text);
}

/** The image's env(1), found inside its root; none in an image without one (scratch, distroless). */
function envToolIn(root: ContainerRoot): string | undefined {
  return ['/usr/bin/env', '/bin/env'].find((p) => root.statOrNothing(p)?.isFile() === true);
}

/**
 * Direct mode's environment as docker's: only PATH, HOSTNAME, HOME (TERM with -t) and the
 * image's and the user's variables. systemd-nspawn gives PID 1 its own (container=,
 * container_uuid, NOTIFY_SOCKET, LANG, USER, …), and has no flag against it; `env -i` from the
 * image, which then execs the command (still PID 1), clears them. Without env(1) they stay.
 */
function onlyDockersEnvironment(envTool: string | undefined, command: readonly string[], env: string[]): { command: string[]; env: string[] } {
  // '--' first: after it every NAME=VALUE is an assignment and the first other word the command.
  return envTool ? { command: [envTool, '-i', '--', ...env, ...command], env: [] } : { command: [...command], env };
}

export async function supervise(ctx: Context, initial: ContainerRecord, opts: SuperviseOptions): Promise<number> {
  const { id } = initial;
  let { config } = initial;
  const tty = config.tty;
  // A terminal on racker's own (a foreground `run -t`), or one whose output goes to the log and
  // to attached clients like any (a detached supervisor: an Engine API client's Tty).
  const terminalHere = tty && !opts.detached;
  const log = terminalHere ? undefined : createLogWriter(ctx.paths.containerLog(id), ctx.clock);
  // A detached container that an Engine API client attached to before the start: a byte-exact copy for it.
  const channel = opts.sinks ? undefined : await connectOutputChannel(ctx.paths, id);
  const sinks = teeTo(log, channel?.sinks ?? opts.sinks);
  let nspawn: StartedProcess | undefined;
  let nspawnExit: Promise<number> | undefined;
  let running = false;
  /** nspawn's process has ended (its pipes may still be held by an orphaned container). */
  let nspawnEnded = false;
  let leader: number | undefined;
  let network: NetworkAttachment | undefined;
  let cgroup: OwnedPlace | undefined;
  let exitCode = 125;
  let error: string | undefined;
  /** The container got as far as ready (booted, or its command started). */
  let ready = false;
  const aborted = () => opts.signal?.aborted === true;
  const abort = () => killContainerTree(nspawn?.pid, leader);
  opts.signal?.addEventListener('abort', abort, { once: true });
  const alive = () => running && !nspawnEnded && !aborted();
  // The health check, from ready until the end; stopped (and its last write done) before the end is recorded.
  const healthStop = new AbortController();
  let healthRun: Promise<void> | undefined;
  const checkHealth = (pid: number | undefined) => {
    if (config.healthcheck && pid) healthRun = watchHealth(ctx, initial, pid, healthStop.signal).catch((err: unknown) => ctx.log.debug(`health check: ${String(err)}`));
  };
  const started = async (proc: StartedProcess) => {
    nspawn = proc;
    running = true;
    nspawnExit = proc.exited.then((e) => {
      running = false;
      return exitStatus(e);
    });
    // nspawn killed from outside (kill -9) leaves its container orphaned under the host's
    // PID 1, still holding nspawn's pipes: the run would wait for the orphan's command to
    // end on its own. The container dies with its nspawn instead, like a docker container
    // whose runtime is killed (exit 137, from nspawn's signal or the command's).
    void proc.ended.then(() => {
      nspawnEnded = true;
      if (leader && processAlive(leader)) killContainerTree(undefined, leader);
    });
    await updateState(ctx.paths, id, { status: 'running', supervisorPid: process.pid, nspawnPid: proc.pid, startedAt: ctx.clock().toISOString() });
    emitStart(ctx, initial);
    // Ctrl-C that came while nspawn was starting.
    if (aborted()) abort();
  };
  try {
    // Legacy links: variables describing the linked containers as they are now (before the
    // container's own, which win), and no start while one of them is not running.
    if (config.links?.length) config = { ...config, env: [...(await linkEnvAtStart(ctx, initial)), ...config.env] };
    const rootfs = await mountRootfs(ctx, id, config.imageId, { volatile: config.autoRemove });
    // An ostree/bootc image's /root, /home, /opt… lead into /var, made at boot by tmpfiles: made now, for every mode.
    ContainerRoot.with(rootfs, (root) => makeVarLinkTargets(root));
    crashPoint('start:mounted');
    const bridge = await bridgeNetworkOf(ctx, initial);
    let onNetwork: ContainerRecord | undefined;
    if (bridge) {
      network = await attachNetwork(ctx, initial, bridge, rootfs);
      onNetwork = await updateState(ctx.paths, id, { endpoint: network.endpoint, extraEndpoints: network.extraEndpoints });
    }
    // The namespace's name goes once PID 1 is in it; then the peers on its networks learn its names.
    const joined = async () => {
      if (!network) return;
      await network.joined();
      await announce(ctx, onNetwork ?? initial);
    };
    const base = nspawnOptions(initial, rootfs, network);
    // An optional bind whose host path is gone (a desktop session that ended) is left out, not an error.
    base.binds = base.binds.filter((b) => !b.optional || b.asUser || existsSync(b.host));
    // A member's host paths: opened as the member and mounted ID-mapped (access/member-binds.ts).
    if (base.binds.some((b) => b.asUser)) {
      const { stageMemberBinds } = await import('../access/member-binds.js');
      base.binds = await stageMemberBinds(ctx, memberBindsDir(ctx, id), base.binds);
    }
    // Its own cgroup, limits written, before nspawn exists: nspawn starts inside it (doc/resources.md).
    if (!base.register) cgroup = await prepareCgroup(ctx, initial);
    const placed = (argv: string[]) => inCgroupArgv(enterFiles(cgroup), argv);
    const registered = async (pid: number) => {
      if (base.register) await noteRegisteredPlace(ctx, id, pid);
    };
    const deadline = Date.now() + opts.bootTimeoutSeconds * 1000;
    if (config.boot) {
      // systemd sets the hostname from /etc/hostname at boot, over nspawn's --hostname: an
      // image that ships one (a provisioned label does) kept its own. docker writes it too.
      ContainerRoot.with(rootfs, (root) => root.writeFile('/etc/hostname', `${config.hostname}\n`, { mode: 0o644, durable: false }));
      const proc = await startProcess(placed(nspawnBootArgv(base)), {
        stdout: config.command.length ? 'ignore' : 'pipe',
        stderr: 'pipe',
        detached: true,
        log: ctx.log,
      });
      // A system container without a command: its console is what `logs` shows.
      if (!config.command.length) proc.stdout?.on('data', sinks.stdout);
      const lastError = tail(proc);
      const signalled = signalExitOf(proc);
      await started(proc);
      try {
        leader = await waitForLeader(proc.pid, deadline, alive);
        await registered(leader);
        await joined();
        await waitUntilBooted(ctx, leader, deadline, alive, opts.bootTimeoutSeconds);
        // The working directory exists from the start, as docker makes it: for the command and every exec.
        const workingDir = config.workingDir;
        if (workingDir) ContainerRoot.with(processRoot(leader), (root) => workingDirIn(root, workingDir, true));
      } catch (err) {
        if (err instanceof TestbedError && lastError()) err.message += `: ${lastError()}`;
        throw err;
      }
      // Recorded while the command starts: only a caller told "ready" needs it first.
      const recorded = updateState(ctx.paths, id, { leaderPid: leader });
      recorded.catch(() => undefined); // awaited below; not unhandled meanwhile
      ready = true;
      checkHealth(leader);
      if (opts.onReady) {
        await recorded;
        opts.onReady();
      }
      if (config.command.length) {
        const exec = await startExec(
          ctx,
          { leader, cgroupProcs: enterFiles(cgroup), command: config.command, env: config.env, workingDir: config.workingDir, user: config.user, hostname: config.hostname, tty, interactive: config.interactive },
          // Detached with a terminal: script(1)'s side of it is piped, input from the
          // supervisor's stdin (-i) or from a pipe that never ends.
          tty && !terminalHere ? { ...sinks, stdin: config.interactive ? process.stdin : new PassThrough() } : sinks,
        ).finally(() => recorded);
        // Where stop and kill send their signal (off the critical path; awaited before the end is recorded).
        const noted = updateState(ctx.paths, id, { commandPid: exec.pid });
        noted.catch(() => undefined);
        // The container ends with its command, as docker's does: what the command left running
        // in the background (and holding its output) goes with it, then the output is complete.
        exitCode = exitStatus(await exec.ended);
        await noted;
        killContainerTree(proc.pid, leader);
        await exec.exited;
        await nspawnExit;
      } else {
        await recorded;
        exitCode = await nspawnExit!;
        if (exitCode === 1) exitCode = signalled() ?? exitCode;
      }
    } else {
      const workingDir = config.workingDir || '/';
      // Resolve -u here: a clear error for an unknown user, and HOME like docker sets it.
      // The working directory is made when missing, as docker does; nspawn's --chdir then
      // changes to it from inside the container.
      let envTool: string | undefined;
      const user = ContainerRoot.with(rootfs, (root) => {
        workingDirIn(root, workingDir, true);
        checkCommand(root, config.command[0]!, config.env, workingDir);
        envTool = envToolIn(root);
        return config.user ? resolveUserInRoot(root, config.user) : undefined;
      });
      // Through the image's env(1), --setenv's name rule does not apply.
      const refused = envTool ? undefined : nspawnRefusedEnv(config.env);
      if (refused !== undefined) {
        const name = refused.split('=', 1)[0]!.slice(0, 100);
        throw new UsageError(`environment variable '${name}': without systemd (direct mode) a name may only have letters, digits and '_', and must not start with a digit`);
      }
      const env = [`HOSTNAME=${config.hostname}`, `HOME=${user?.home ?? '/root'}`, ...(tty ? ['TERM=xterm'] : []), ...config.env];
      const { command, env: setenv } = onlyDockersEnvironment(envTool, config.command, env);
      const proc = await startProcess(
        placed(
          nspawnDirectArgv({
            ...base,
            command,
            env: setenv,
            workingDir,
            ...(user ? { switchUser: { tool: switchUserTool(), uid: user.uid, gid: user.gid } } : {}),
            ...(config.init ? { init: initTool() } : {}),
            tty,
          }),
        ),
        {
          // -t without -i: docker attaches no stdin. A pipe racker holds and never writes to:
          // the terminal gets no input and no end of file (at which nspawn ends the container).
          stdin: config.interactive ? 'inherit' : tty ? 'pipe' : 'ignore',
          stdout: terminalHere ? 'inherit' : 'pipe',
          // Piped even with -t (the command's output then goes through the pty on stdout):
          // nspawn's own lines must not reach the user.
          stderr: 'pipe',
          detached: !terminalHere,
          log: ctx.log,
        },
      );
      proc.stdin?.on('error', () => undefined);
      proc.stdout?.on('data', sinks.stdout);
      proc.stderr?.on('data', withoutNoise(sinks.stderr));
      const signalled = signalExitOf(proc);
      await started(proc);
      leader = await waitForLeader(proc.pid, deadline, alive).catch(() => undefined);
      if (leader) await updateState(ctx.paths, id, { leaderPid: leader });
      if (leader) await registered(leader);
      await joined();
      ready = true;
      checkHealth(leader);
      if (aborted()) abort();
      opts.onReady?.();
      exitCode = await nspawnExit!;
      if (exitCode === 1) exitCode = signalled() ?? exitCode;
    }
  } catch (err) {
    if (!aborted()) {
      error = err instanceof Error ? err.message : String(err);
      if (err instanceof RackerError) exitCode = err.exitCode;
    }
    if (nspawn) {
      // Re-kill until nspawn is gone: its child may appear after the first kill.
      while (running) {
        killContainerTree(nspawn.pid, leader && processAlive(leader) ? leader : undefined);
        await Promise.race([nspawnExit, new Promise((r) => setTimeout(r, 50))]);
      }
    }
    if (!aborted()) throw err;
  } finally {
    healthStop.abort();
    await healthRun;
    opts.signal?.removeEventListener('abort', abort);
    await log?.close();
    await channel?.close();
    // The exit code is the main process's own, as docker reports it: a command that traps
    // `stop`'s SIGTERM and exits 5 reports 5; one killed by the signal, 128+N.
    if (aborted()) exitCode = 128 + (signalNumber(String(opts.signal?.reason ?? 'SIGINT')) ?? 2);
    if (nspawn) emit(ctx, { type: 'container', action: 'die', container: initial, attributes: { exitCode: String(exitCode) } });
    await network?.release().catch((err: unknown) => ctx.log.debug(`network release: ${String(err)}`));
    await unmountRootfs(ctx, id);
    await releaseCgroup(cgroup).catch((err: unknown) => ctx.log.debug(`cgroup release: ${String(err)}`));
    // A detached --rm container that failed to start stays until `run -d` has read why (it removes it then).
    const keepToReport = opts.detached === true && !ready && error !== undefined;
    if (config.autoRemove && !keepToReport) {
      await noteEnded(ctx.paths, id, exitCode, ctx.clock());
      await removeContainerFiles(ctx, id);
    }
    else {
      // Whether its policy restarts it, decided with the end (restart.ts's nextRun decides the same).
      const ended = await readContainer(ctx.paths, id);
      const restarting = !aborted() && ended !== undefined && restartsAfter(ended, exitCode);
      await updateState(ctx.paths, id, {
        status: 'exited',
        restarting: restarting || undefined,
        exitCode,
        finishedAt: ctx.clock().toISOString(),
        endpoint: undefined,
        extraEndpoints: undefined,
        cgroup: undefined,
        paused: undefined,
        ...(error ? { error } : {}),
      });
    }
  }
  return exitCode;
}


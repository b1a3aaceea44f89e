/**
 * Running a command inside a running container (the main command of a booted container,
 * and `racker exec`): nsenter into the container's PID 1 with a clean environment.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { ConflictError, UsageError } from '../errors.js';
import { exitStatus, startProcess, type StartedProcess } from '../exec/process.js';
import { enterHostPidArgv, nsenterArgv } from '../tools/nspawn.js';
import { nativeFile } from '../access/native.js';
import { inCgroupArgv } from '../tools/cgroup.js';
import { watchMirroredStops } from './entered.js';
import { ContainerRoot, InRootError, processRoot, type Found } from '../fs/in-root.js';
import { checkCommand, CommandNotRunnable, resolveUserInRoot } from './lookup.js';
import type { ContainerConfig } from './record.js';
import { envRecord } from './spec.js';
import { onPath } from '../exec/path.js';
import { ownOutputTerminal, type OutputTerminal } from './terminal.js';

/** What an exec needs: the container's settings (or exec's overrides) plus where it runs. */
export interface ExecSpec extends Pick<ContainerConfig, 'command' | 'env' | 'workingDir' | 'user' | 'hostname' | 'tty' | 'interactive'> {
  leader: number;
  /** The container's cgroup.procs files (placement.ts): the command is started inside. */
  cgroupProcs?: string[];
  /** racker shell --host-pid: in the host's PID namespace, with the host's processes in /proc (enterHostPidArgv). */
  hostPid?: boolean;
  /** With tty: the terminal's size, when the caller's own terminal is not script's stdin (the Engine API). */
  size?: { rows: number; cols: number };
}

export interface OutputSinks {
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
}

/** Output sinks, and the command's stdin when it is not racker's own (the Engine API feeds it from a connection). */
export interface ExecStreams extends OutputSinks {
  /** With stdin given, every stream is piped, with -t too (script's terminal is then fed from here). */
  stdin?: NodeJS.ReadableStream;
  /** Called with the PID once the command runs (script's, with -t: its terminal can be resized). */
  onStart?: (pid: number) => void;
}

/** The host's env(1) (coreutils: every Debian and Ubuntu host). */
const ENV_TOOL = '/usr/bin/env';

/** A host program by absolute path: after env -i, PATH is the container's. */
function hostTool(name: string): string {
  return onPath(name) ?? name;
}

/** Where util-linux puts script(1); racker runs the image's own with exec -t. */
const CONTAINER_SCRIPT = '/usr/bin/script';

/** POSIX shell quoting, for the one place a command line is needed: script(1)'s -c. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The running container's root; its PID 1 gone (it stopped meanwhile) is "not running", not ENOENT. */
function runningRoot(leader: number): string {
  const root = processRoot(leader);
  if (!existsSync(root)) throw new ConflictError('the container is not running');
  return root;
}

/**
 * The working directory, found inside the container (never a host path): its descriptor
 * becomes nsenter's cwd, so what the command starts in is what was checked here.
 */
export function workingDirIn(root: ContainerRoot, dir: string, make: boolean): Found {
  let found: Found | undefined;
  try {
    found = root.directory(dir, { create: make });
  } catch (err) {
    if (!(err instanceof InRootError)) throw err;
    const why = err.code === 'ELOOP' ? 'too many levels of symbolic links' : 'not a directory';
    throw new CommandNotRunnable(`chdir to cwd ("${dir}") set in the container failed: ${why}`, { exitCode: 126 });
  }
  if (!found) throw new CommandNotRunnable(`chdir to cwd ("${dir}") set in the container failed: no such file or directory`, { exitCode: 126 });
  return found;
}

/**
 * The argv and environment for an exec. With -t the command runs under script(1), which
 * gives it a real pseudo-terminal of the caller's window size. The working
 * directory is a descriptor of `root`'s, named through this process: valid while root is open.
 */
export function execPlan(spec: ExecSpec, root: ContainerRoot): { argv: string[]; env: Record<string, string> } {
  const user = spec.user ? resolveUserInRoot(root, spec.user) : undefined;
  const env: Record<string, string> = {
    HOSTNAME: spec.hostname,
    HOME: user?.home ?? '/root',
    ...(spec.tty ? { TERM: process.env.TERM || 'xterm' } : {}),
    ...envRecord(spec.env),
  };
  // Made when the container started; missing now is exec's error, as docker's.
  const dir = workingDirIn(root, spec.workingDir || '/', false);
  const [first] = spec.command;
  checkCommand(root, first!, Object.entries(env).map(([k, v]) => `${k}=${v}`), dir.path);
  const entering = { leader: spec.leader, workingDirFd: { pid: process.pid, fd: dir.fd! }, ...(user ? { uid: user.uid, gid: user.gid } : {}) };
  const hostPidTool = spec.hostPid ? nativeFile('racker-enter-host-pid') : undefined;
  if (spec.hostPid && !hostPidTool) throw new UsageError("--host-pid needs racker's native piece racker-enter-host-pid, which this build lacks (apt-get install gcc libc6-dev, then npm run build)");
  const nsenter = (command: readonly string[]) => (hostPidTool ? enterHostPidArgv(hostPidTool, { ...entering, command }) : nsenterArgv({ ...entering, command }));
  // Inside the container's cgroups (its limits, its freezer), as docker's exec is. The wrapper
  // is a shell, which drops names it can't take (my.var) and adds its own (PWD): env -i after
  // it sets the command's environment exactly.
  const procs = spec.cgroupProcs ?? [];
  const enter = (command: readonly string[]) =>
    procs.length ? inCgroupArgv(procs, [ENV_TOOL, '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), hostPidTool ?? hostTool('nsenter'), ...nsenter(command).slice(1)]) : nsenter(command);
  // script's command runs in the new terminal: stty sizes it before the command starts.
  const size = spec.size ? `stty rows ${Math.trunc(spec.size.rows)} cols ${Math.trunc(spec.size.cols)} 2>/dev/null; ` : '';
  let argv: string[];
  if (!spec.tty) argv = enter(spec.command);
  else if (root.find(CONTAINER_SCRIPT, { follow: false })?.stat?.isFile()) {
    // The image's own script(1) (util-linux's, a regular file in every systemd image; busybox's
    // is a link and takes other options): its terminal comes
    // from the container's devpts, so `tty` names it and programs that open their terminal
    // by name (ssh, gpg, screen) find it. The host's terminal would not exist inside.
    argv = enter([CONTAINER_SCRIPT, '--quiet', '--return', '--command', `${size}exec ${shellQuote(spec.command)}`, '/dev/null']);
  } else {
    // Images without it (busybox, distroless): the host's script, whose terminal works but has no name inside.
    argv = ['script', '--quiet', '--return', '--command', `${size}exec ${shellQuote(enter(spec.command))}`, '/dev/null'];
  }
  return { argv, env: spec.tty ? { ...env, SHELL: '/bin/sh' } : env };
}

/**
 * -t without -i: script(1) gets no stdin, so it can't copy the terminal's size from there;
 * racker's stdout, when a terminal, gives it instead (docker sizes the tty from its output too).
 */
function withOutputTerminalSize(spec: ExecSpec, sinks: ExecStreams): ExecSpec {
  if (!spec.tty || spec.interactive || spec.size || sinks.stdin || !process.stdout.isTTY) return spec;
  return { ...spec, size: { rows: process.stdout.rows, cols: process.stdout.columns } };
}

export async function startExec(ctx: Context, spec: ExecSpec, sinks: ExecStreams): Promise<StartedProcess> {
  // Open until the command has ended: nsenter opens its working directory through this
  // process's descriptor at some point after it starts (under script(1), later still).
  const root = ContainerRoot.open(runningRoot(spec.leader));
  let proc: StartedProcess;
  let terminal: OutputTerminal | undefined;
  try {
    const plan = execPlan(withOutputTerminalSize(spec, sinks), root);
    // script(1) writes to racker's terminal but reads its settings from stdin: without -i (or
    // with a stdin that is no terminal) racker sets the output side up itself, as nspawn's console does.
    if (spec.tty && !sinks.stdin && process.stdout.isTTY && !(spec.interactive && process.stdin.isTTY)) terminal = ownOutputTerminal();
    proc = await startProcess(plan.argv, {
      cleanEnv: true,
      env: plan.env,
      // -t without -i: docker attaches no stdin; script(1) then gives the terminal no input.
      stdin: sinks.stdin ? 'pipe' : spec.interactive ? 'inherit' : 'ignore',
      stdout: (spec.tty && !sinks.stdin) || !sinks.stdout ? 'inherit' : 'pipe',
      stderr: (spec.tty && !sinks.stdin) || !sinks.stderr ? 'inherit' : 'pipe',
      log: ctx.log,
    });
  } catch (err) {
    root.close();
    terminal?.release();
    throw err;
  }
  void proc.ended.then(() => root.close());
  terminal?.follow(ctx, proc.pid, proc.ended);
  watchMirroredStops(proc.pid, proc.ended);
  sinks.onStart?.(proc.pid);
  if (sinks.stdout) proc.stdout?.on('data', sinks.stdout);
  if (sinks.stderr) proc.stderr?.on('data', sinks.stderr);
  if (sinks.stdin && proc.stdin) {
    // The command may exit before its input ends: a write to its closed stdin is not an error.
    proc.stdin.on('error', () => undefined);
    sinks.stdin.pipe(proc.stdin);
    void proc.exited.then(() => sinks.stdin?.unpipe(proc.stdin));
  }
  return proc;
}

export async function execInContainer(ctx: Context, spec: ExecSpec, sinks: ExecStreams = {}): Promise<number> {
  const proc = await startExec(ctx, spec, sinks);
  return exitStatus(await proc.exited);
}


/**
 * Running a command inside a running container (the main command of a booted container,
 * and `racker exec`): nsenter into the container's PID 1 with a clean environment.
 */
import type { Context } from '../context.js';
import { exitStatus, startProcess, type StartedProcess } from '../exec/process.js';
import { nsenterArgv } from '../tools/nspawn.js';
import { checkCommand, resolveUserInRoot } from './lookup.js';
import type { ContainerConfig } from './record.js';
import { envRecord } from './spec.js';

/** What an exec needs: the container's settings (or exec's overrides) plus where it runs. */
export interface ExecSpec extends Pick<ContainerConfig, 'command' | 'env' | 'workingDir' | 'user' | 'hostname' | 'tty' | 'interactive'> {
  leader: number;
  /** The container's root as the host sees it (for finding the command and the user). */
  rootfs: string;
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

/** POSIX shell quoting, for the one place a command line is needed: script(1)'s -c. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The argv and environment for an exec. With -t the command runs under script(1) on the
 * host, which gives it a real pseudo-terminal of the caller's window size.
 */
export async function execPlan(spec: ExecSpec): Promise<{ argv: string[]; env: Record<string, string> }> {
  const user = spec.user ? await resolveUserInRoot(spec.rootfs, spec.user) : undefined;
  const env: Record<string, string> = {
    HOSTNAME: spec.hostname,
    HOME: user?.home ?? '/root',
    ...(spec.tty ? { TERM: process.env.TERM || 'xterm' } : {}),
    ...envRecord(spec.env),
  };
  const workingDir = spec.workingDir || '/';
  const [first] = spec.command;
  await checkCommand(spec.rootfs, first!, Object.entries(env).map(([k, v]) => `${k}=${v}`), workingDir);
  const inner = nsenterArgv({
    leader: spec.leader,
    command: spec.command,
    workingDir,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  // script's command runs on the host, in the new terminal: stty sizes it before the command starts.
  const size = spec.size ? `stty rows ${Math.trunc(spec.size.rows)} cols ${Math.trunc(spec.size.cols)} 2>/dev/null; exec ` : '';
  const argv = spec.tty ? ['script', '--quiet', '--return', '--command', `${size}${shellQuote(inner)}`, '/dev/null'] : inner;
  return { argv, env: spec.tty ? { ...env, SHELL: '/bin/sh' } : env };
}

export async function startExec(ctx: Context, spec: ExecSpec, sinks: ExecStreams): Promise<StartedProcess> {
  const plan = await execPlan(spec);
  const proc = await startProcess(plan.argv, {
    cleanEnv: true,
    env: plan.env,
    stdin: sinks.stdin ? 'pipe' : spec.interactive || spec.tty ? 'inherit' : 'ignore',
    stdout: (spec.tty && !sinks.stdin) || !sinks.stdout ? 'inherit' : 'pipe',
    stderr: (spec.tty && !sinks.stdin) || !sinks.stderr ? 'inherit' : 'pipe',
    log: ctx.log,
  });
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


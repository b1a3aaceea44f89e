/** racker exec: a command in a running container, with the container's environment. */
import { promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import { readAsCaller } from '../access/as-caller.js';
import { isMember } from '../access/caller.js';
import { hostEnvFor } from '../access/policy.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { exitStatus } from '../exec/process.js';
import { execInContainer, startExec, type ExecStreams } from './exec.js';
import { CommandNotRunnable } from './lookup.js';
import { findContainer, liveState, type ContainerRecord } from './record.js';
import { refuseIfPaused } from './pause.js';
import { enterFiles } from './placement.js';
import { mergeEnv, parseEnvFile } from './spec.js';
import { emit } from '../events/log.js';

export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
  /** With tty and a caller without a terminal of its own (the Engine API): the terminal's size. */
  size?: { rows: number; cols: number };
  /** The Engine API's exec instance (its exec_create was reported when it was made). */
  execId?: string;
}

/** The running container's PID 1, or the "is not running" error naming it as shownAs. */
function runningLeader(record: ContainerRecord, shownAs: string): number {
  const state = liveState(record);
  if (state.status !== 'running' || !state.leaderPid) throw new ConflictError(`container ${shownAs} is not running`);
  refuseIfPaused(record);
  return state.leaderPid;
}

/** `sinks`: where output (and stdin) go when not racker's own stdio (the Engine API's connections). */
export async function execIn(ctx: Context, container: string, command: string[], opts: ExecOptions, sinks: ExecStreams = {}): Promise<number> {
  const record = await findContainer(ctx, container);
  const leader = runningLeader(record, record.id);
  const fileEnv: string[] = [];
  for (const f of opts.envFiles) {
    // A member's file is read with their rights, not the service's, as run's (access/as-caller.ts).
    const text = await (isMember(ctx.caller) ? readAsCaller(ctx, ctx.caller, f) : fs.readFile(f, 'utf8')).catch(() => {
      throw new NotFoundError(`open ${f}: no such file or directory`);
    });
    fileEnv.push(...parseEnvFile(text, f));
  }
  // docker's actions carry the command: "exec_start: sh -c date".
  const execID = opts.execId ?? (await import('node:crypto')).randomBytes(32).toString('hex');
  const action = (verb: string) => `${verb}: ${command.join(' ')}`;
  if (!opts.execId) emit(ctx, { type: 'container', action: action('exec_create'), container: record, attributes: { execID } });
  emit(ctx, { type: 'container', action: action('exec_start'), container: record, attributes: { execID } });
  let exitCode = 126;
  try {
    exitCode = await execInContainer(ctx, {
      leader,
      cgroupProcs: enterFiles(record.state.cgroup),
      command,
      env: mergeEnv(record.config.env, [...fileEnv, ...opts.env], hostEnvFor(ctx.caller, ctx.env)),
      workingDir: opts.workdir ?? record.config.workingDir,
      user: opts.user ?? record.config.user,
      hostname: record.config.hostname,
      tty: opts.tty,
      interactive: opts.interactive,
      ...(opts.size ? { size: opts.size } : {}),
    }, sinks);
    return exitCode;
  } catch (err) {
    // docker's exec: a command that can't be started is 126 whatever the cause (run says 127
    // for one not found): dockerd records 126 for any failed exec start.
    if (err instanceof CommandNotRunnable && err.exitCode === 127) throw new CommandNotRunnable(err.message, { exitCode: 126 });
    throw err;
  } finally {
    emit(ctx, { type: 'container', action: 'exec_die', container: record, attributes: { execID, exitCode: String(exitCode) } });
  }
}

export interface Captured {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run a command in a running container and collect its output (postroj's probes). */
export async function execCapture(ctx: Context, record: ContainerRecord, command: string[], env: string[] = []): Promise<Captured> {
  const leader = runningLeader(record, record.name);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const proc = await startExec(
    ctx,
    {
      leader,
      cgroupProcs: enterFiles(record.state.cgroup),
      command,
      env: mergeEnv(record.config.env, env, {}),
      workingDir: '/',
      hostname: record.config.hostname,
      tty: false,
      interactive: false,
    },
    { stdout: (c) => out.push(c), stderr: (c) => err.push(c) },
  );
  const exitCode = exitStatus(await proc.exited);
  return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/**
 * `exec -d`: the command runs in the background and its output is dropped, as docker's. A
 * `racker exec` of its own (in its own session) runs it, so it outlives this process; what
 * can be checked here (the container, --env-file) fails here, with the usual line.
 */
export async function execDetached(ctx: Context, container: string, command: string[], opts: ExecOptions): Promise<void> {
  const record = await findContainer(ctx, container);
  runningLeader(record, record.id);
  for (const f of opts.envFiles) await fs.access(f).catch(() => {
    throw new NotFoundError(`open ${f}: no such file or directory`);
  });
  const [{ spawnDaemon }, { rackerBin }, path] = await Promise.all([import('../exec/process.js'), import('./detached.js'), import('node:path')]);
  const argv = [
    process.execPath,
    rackerBin(),
    'exec',
    ...opts.env.flatMap((e) => ['-e', e]),
    ...opts.envFiles.flatMap((f) => ['--env-file', path.resolve(f)]),
    ...(opts.workdir !== undefined ? ['-w', opts.workdir] : []),
    ...(opts.user !== undefined ? ['-u', opts.user] : []),
    ...(opts.interactive ? ['-i'] : []),
    record.id,
    ...command,
  ];
  await spawnDaemon(argv, '/dev/null');
}

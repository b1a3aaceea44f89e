/**
 * The service's ready command process for POST /racker/v1/cli (cli-forward.ts): one `racker`
 * already started (Node up, the launcher and Node's modules loaded) and blocked on a pipe for its
 * command (lib/startup/ready.ts), so a member's command does not wait for a Node start.
 *
 * One at a time and never reused: `take` hands the one that waits to exactly one request; the
 * next is started when that command has ended. It is started with the service's environment minus any
 * RACKER_CALLER, and runs nothing of racker's own until the request (argv, cwd and the whole
 * environment, the caller's RACKER_CALLER included) has replaced its own, so no command sees
 * another's caller or variables. One that dies while waiting is replaced, unless they keep
 * dying young (then requests spawn their command as before); `stop` kills the one that waits,
 * and one whose service died sees EOF on its pipe and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { encodeReadyRequest, READY_ACK, type ReadyRequest } from '../startup/ready.js';

/** The descriptor of the request pipe in the ready process (after stdin, stdout, stderr). */
const READY_FD = 3;
/** This many ready processes dying within YOUNG_MS of their start, in a row, and none is started any more. */
const MAX_YOUNG_DEATHS = 3;
const YOUNG_MS = 2000;
/** How long a ready process may take to answer that it has its request (it may still be starting). */
const ANSWER_MS = 10_000;

export interface ReadyOptions {
  /** node, and the racker launcher (dist/bin/racker.js). */
  node: string;
  entry: string;
  /** The service's environment, which the ready process starts with (RACKER_CALLER removed). */
  env: NodeJS.ProcessEnv;
  debug: (line: string) => void;
}

export class ReadyCommand {
  private waiting: { child: ChildProcess; started: number } | undefined;
  private stopped = false;
  private youngDeaths = 0;

  constructor(private readonly o: ReadyOptions) {}

  /** Starts a ready process if none waits (and they have not kept dying). */
  start(): void {
    if (this.stopped || this.waiting || this.youngDeaths >= MAX_YOUNG_DEATHS) return;
    const env: NodeJS.ProcessEnv = { ...this.o.env, RACKER_READY_FD: String(READY_FD) };
    delete env.RACKER_CALLER;
    // detached: its own session and process group, as a spawned command has (cli-forward.ts signals the group).
    const child = spawn(this.o.node, [this.o.entry], { cwd: '/', env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
    const entry = { child, started: Date.now() };
    this.waiting = entry;
    // While it waits it must not keep the service alive.
    child.unref();
    for (const s of child.stdio) (s as Socket | null)?.unref?.();
    child.stdio[READY_FD]?.on('error', () => undefined);
    child.once('error', () => undefined);
    child.once('exit', (code, sig) => {
      if (this.waiting !== entry) return;
      this.waiting = undefined;
      this.youngDeaths = Date.now() - entry.started < YOUNG_MS ? this.youngDeaths + 1 : 0;
      this.o.debug(`ready command process ${child.pid} ended while waiting (${sig ?? code})${this.youngDeaths >= MAX_YOUNG_DEATHS ? '; no more are started' : ''}`);
      this.start();
    });
    this.o.debug(`ready command process ${child.pid} started`);
  }

  /**
   * The waiting process, now running req; undefined when none waits, or when it did not answer
   * that it has the request (it died: then nothing of the request ran, and the caller spawns
   * the command itself). The caller starts the next (`start`) once the command has ended: a
   * Node start meanwhile would compete with the command for the CPU, and a process still
   * starting serves the next request as well (the request waits in its pipe).
   */
  async take(req: ReadyRequest): Promise<ChildProcess | undefined> {
    const entry = this.waiting;
    this.waiting = undefined;
    if (!entry) return undefined;
    const { child } = entry;
    const pipe = child.stdio[READY_FD] as Socket | null;
    if (!pipe || child.exitCode !== null || child.signalCode !== null) return undefined;
    this.youngDeaths = 0;
    child.ref();
    for (const s of child.stdio) (s as Socket | null)?.ref?.();
    // The answer comes before anything of the request runs, and before the pipe's end: no
    // answer by the end means the command did not run there, and may run elsewhere.
    // One that does not answer in ANSWER_MS (stopped, or stuck in a start on an overloaded
    // machine) is killed; an answer that came before its end still counts.
    const timer = setTimeout(() => child.kill('SIGKILL'), ANSWER_MS);
    const answered = await new Promise<boolean>((resolve) => {
      pipe.once('data', (d: Buffer) => resolve(d.toString() === READY_ACK));
      pipe.once('close', () => resolve(false));
      pipe.end(encodeReadyRequest(req));
    });
    clearTimeout(timer);
    pipe.destroy();
    if (answered) return child;
    this.o.debug(`ready command process ${child.pid} did not take its request (${child.signalCode ?? child.exitCode ?? 'ended'})`);
    return undefined;
  }

  /** The service stops: no ready process stays behind. */
  stop(): void {
    this.stopped = true;
    const entry = this.waiting;
    this.waiting = undefined;
    if (entry && entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGKILL');
  }
}

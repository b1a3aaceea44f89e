/**
 * POST /racker/v1/cli: racker's own extension of the Engine API, the way in for the `racker`
 * and `postroj` commands run by an ordinary user (lib/client/forward.ts). The command runs
 * here, as the service's root, with the caller in its environment (RACKER_CALLER, which the
 * member policy of lib/access reads), so its output, progress, prompts and exit code are the
 * ones root would see. Its stdio travels over the hijacked connection in the Engine's
 * 8-byte frames (frames.ts), with racker's own frame types for the rest:
 *
 *   service → client: 1 stdout, 2 stderr, 4 the exit code (decimal), last
 *   client → service: 0 stdin bytes, 5 stdin ended, 6 a signal's name (SIGINT, SIGTERM,
 *                     SIGHUP), 7 the terminal's new size ("ROWS COLS", applied as the Engine API's resize is: terminal.ts)
 *
 * With `tty` the command gets a pseudo-terminal of its own (util-linux script), sized like
 * the client's, whose output comes as stdout frames; the client's terminal is raw, so ^C
 * reaches the command as the byte it is. A client that goes away hangs the command up
 * (SIGHUP to its process group), as a closed terminal does.
 *
 * A racker command without a terminal runs in the ready process (cli-ready.ts), a `racker`
 * started before the request, instead of one spawned for it: the same argv, cwd, environment,
 * stdio, process group and exit status, without waiting for Node's start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { callerToEnv, isMember } from '../access/caller.js';
import { CALLER_ENV_NAMES, CALLER_ENV_PREFIX } from '../shell/desktop.js';
import { rackerBin } from '../container/detached.js';
import { resizeTerminal, terminalUnder } from '../container/terminal.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { definedEnv } from '../exec/env.js';
import { ReadyCommand } from './cli-ready.js';
import type { Engine } from './engine.js';
import { CLI_FRAME as FRAME, frame, parseFrames } from './frames.js';
import { memberRoute, type Route } from './router.js';


export interface CliRequest {
  program: 'racker' | 'postroj';
  argv: string[];
  cwd: string;
  /** The client's variables that shape output (TERM, COLUMNS, NO_COLOR, LANG, LC_*, TZ): forwardedEnv. */
  env: Record<string, string>;
  tty: boolean;
  size?: [number, number];
}

/** Only these of a client's variables reach the command: the rest (RACKER_ROOT, NODE_OPTIONS, LD_PRELOAD, …) would steer a root process. */
export function forwardedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    // Strings only: the request is JSON from any member, and spawn would turn null or 5 into text.
    if (typeof v !== 'string') continue;
    if (/^(TERM|COLUMNS|LINES|NO_COLOR|FORCE_COLOR|LANG|LANGUAGE|LC_[A-Z_]+|TZ|RACKER_DEBUG)$/.test(k)) out[k] = v;
    // The desktop session's, for racker shell (shell/desktop.ts), under names no root process takes as its own.
    else if (CALLER_ENV_NAMES.test(k)) out[`${CALLER_ENV_PREFIX}${k}`] = v;
  }
  return out;
}

export function parseCliRequest(body: unknown): CliRequest {
  const b = (body ?? {}) as Partial<CliRequest>;
  if (b.program !== 'racker' && b.program !== 'postroj') throw new UsageError('program must be racker or postroj');
  if (!Array.isArray(b.argv) || !b.argv.every((a) => typeof a === 'string')) throw new UsageError('argv must be a list of strings');
  if (typeof b.cwd !== 'string') throw new UsageError('cwd must be a path');
  const size = Array.isArray(b.size) && b.size.length === 2 && b.size.every((n) => Number.isInteger(n) && n > 0 && n < 10000) ? (b.size as [number, number]) : undefined;
  return { program: b.program, argv: b.argv, cwd: b.cwd, env: forwardedEnv((b.env ?? {}) as Record<string, string>), tty: b.tty === true, ...(size ? { size } : {}) };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The argv that runs the command: directly, or under `script` for a terminal of its own. Pure. */
export function commandArgv(node: string, entry: string, req: Pick<CliRequest, 'argv' | 'tty' | 'size'>): string[] {
  const direct = [node, entry, ...req.argv];
  if (!req.tty) return direct;
  const size = req.size ? `stty rows ${req.size[0]} cols ${req.size[1]} 2>/dev/null; ` : '';
  return ['script', '--quiet', '--return', '--flush', '--echo', 'never', '--command', `${size}exec ${direct.map(quote).join(' ')}`, '/dev/null'];
}

const readyOf = new WeakMap<Engine, ReadyCommand>();

/**
 * Starts the service's first ready process (cli-ready.ts), for a service members may use. Only
 * once the service is up: it inherits the service's umask, which is 0177 while the socket is made.
 */
export function prestartCommand(engine: Engine): void {
  readyOf.get(engine)?.start();
}

export function cliRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  // racker's commands without a terminal are handed to an already started process (cli-ready.ts).
  const ready = new ReadyCommand({ node: process.execPath, entry: rackerBin(), env: process.env, debug: (line) => ctx.log.debug(line) });
  readyOf.set(engine, ready);
  engine.onStop(() => ready.stop());
  return [
    memberRoute('POST', /^\/racker\/v1\/cli$/, async (x) => {
      const req = parseCliRequest(await x.body());
      const caller = ctx.caller;
      const entry = req.program === 'racker' ? rackerBin() : path.join(path.dirname(rackerBin()), 'postroj.js');
      // The caller's directory, for their relative paths (read with their rights: lib/access).
      const cwd = path.isAbsolute(req.cwd) && existsSync(req.cwd) && statSync(req.cwd).isDirectory() ? req.cwd : '/';
      const env: NodeJS.ProcessEnv = { ...process.env, ...req.env };
      delete env.RACKER_CALLER;
      for (const k of Object.keys(env)) if (k.startsWith(CALLER_ENV_PREFIX) && !(k in req.env)) delete env[k];
      if (isMember(caller)) env.RACKER_CALLER = callerToEnv(caller);
      // A terminal needs script(1) around the command from its start: that one is spawned as before.
      const readyChild = req.program === 'racker' && !req.tty ? await ready.take({ argv: req.argv, cwd, env: definedEnv(env) }) : undefined;
      const [file, ...args] = commandArgv(process.execPath, entry, req);
      const child = readyChild ?? spawn(file!, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      ctx.log.debug(`cli ${child.pid}: ${readyChild ? 'the ready process runs the command' : 'command spawned'}`);
      const { out, stdin } = x.hijack('application/vnd.racker.cli-stream');
      const send = (type: number, data: Buffer) => out.write(frame(type as 0, data));
      child.stdout!.on('data', (d: Buffer) => send(FRAME.stdout, d));
      child.stderr!.on('data', (d: Buffer) => send(FRAME.stderr, d));
      child.stdin!.on('error', () => undefined);
      let ended = false;
      if (stdin) relayInput(ctx, stdin, child, (line) => ctx.log.debug(`cli ${child.pid}: ${line}`));
      out.onClose(() => {
        if (!ended) signalGroup(child, 'SIGHUP');
      });
      const code = await new Promise<number>((resolve) => {
        child.once('error', () => resolve(127));
        child.once('close', (c, sig) => resolve(c ?? 128 + (sig ? signalNumber(sig) : 0)));
      });
      ended = true;
      send(FRAME.exit, Buffer.from(String(code)));
      out.end();
      // The next ready process starts now, not while this command ran (it would compete for the CPU).
      if (req.program === 'racker') ready.start();
    }),
  ];
}

function relayInput(ctx: Context, input: NodeJS.ReadableStream, child: ChildProcess, debug: (line: string) => void): void {
  let rest = Buffer.alloc(0);
  input.on('data', (d: Buffer) => {
    const parsed = parseFrames(Buffer.concat([rest, d]));
    rest = Buffer.from(parsed.rest);
    for (const f of parsed.frames) {
      if (f.stream === FRAME.stdin) child.stdin!.write(f.payload);
      else if (f.stream === FRAME.stdinEnd) child.stdin!.end();
      else if (f.stream === FRAME.signal) {
        const sig = f.payload.toString();
        debug(`${sig} from the client`);
        // ^C from a terminal reaches the whole foreground group; kill(1) just the command.
        if (sig === 'SIGINT') signalGroup(child, 'SIGINT');
        else if (sig === 'SIGTERM' || sig === 'SIGHUP') child.kill(sig);
      } else if (f.stream === FRAME.resize) {
        const m = /^(\d{1,4}) (\d{1,4})$/.exec(f.payload.toString());
        // The pseudo-terminal is the stdin of script's child (terminal.ts finds it by process).
        const terminal = m && child.pid ? terminalUnder(child.pid) : undefined;
        if (terminal) void resizeTerminal(ctx, terminal, Number(m![1]), Number(m![2]));
      }
    }
  });
  input.on('error', () => undefined);
  // Reading the request body may have paused the connection; a 'data' listener alone would not resume it.
  input.resume();
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch {
    // Already gone.
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 0;
}

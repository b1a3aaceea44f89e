/**
 * /exec: docker's two-step exec (create an instance, then start it, usually on a hijacked
 * connection) over racker's execIn. Instances live in the service's memory, like dockerd's.
 */
import { isMember, mayAct } from '../access/caller.js';
import { randomBytes } from '../startup/builtins.js';
import { Readable } from 'node:stream';
import { execIn } from '../container/exec-in.js';
import { findContainer, liveState } from '../container/record.js';
import { RackerError } from '../errors.js';
import { resizeTerminal, terminalUnder } from '../container/terminal.js';
import type { Engine } from './engine.js';
import { ApiError, messageOf } from './errors.js';
import type { StreamOut } from './exchange.js';
import { frame, streamContentType } from './frames.js';
import { route, type Route } from './router.js';
import { compareVersions } from './version.js';
import { emit } from '../events/log.js';
import { scanForDetach } from '../container/detach-keys.js';
import { detachKeysOf, hangUp } from './detach.js';

export interface ExecBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Cmd?: string[] | string;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  /** [height, width] of the client's terminal (API 1.42). */
  ConsoleSize?: number[] | null;
  /** docker-py sends it as `detachKeys`: dockerd's JSON decoding ignores the case of names. */
  DetachKeys?: string | null;
}

/** A body field by its name in any case, as Go's encoding/json matches them. */
function fieldOf(body: ExecBody, name: string): unknown {
  const raw = body as Record<string, unknown>;
  if (name in raw) return raw[name];
  const key = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : raw[key];
}

interface ExecInstance {
  id: string;
  containerId: string;
  /** Made by a member (lib/access): theirs alone, as their container is. */
  ownerUid?: number;
  command: string[];
  env: string[];
  workingDir?: string;
  user?: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  running: boolean;
  exitCode: number | null;
  /** With a Tty: script(1)'s PID, whose child holds the terminal that resize sets. */
  pid?: number;
  /** [height, width] asked for before the terminal existed (ConsoleSize, an early resize). */
  size?: [number, number];
  /** What ends an attached session and leaves the command running (DetachKeys; ctrl-p,ctrl-q). */
  detachKeys: Buffer;
}


/** Finished instances are forgotten after this long (dockerd keeps them until the container goes). */
const KEEP_MS = 10 * 60_000;

export function execRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  const instances = new Map<string, ExecInstance>();

  const lookup = (id: string): ExecInstance => {
    const mine = (i: ExecInstance | undefined) => (i && mayAct(ctx.caller, i.ownerUid === undefined ? undefined : { uid: i.ownerUid, name: '' }) ? i : undefined);
    const e = mine(instances.get(id)) ?? [...instances.values()].find((i) => i.id.startsWith(id) && mine(i));
    if (!e) throw new ApiError(404, `No such exec instance: ${id}`);
    return e;
  };

  /** Run the instance; output to `out` (frames, or raw with a Tty) unless detached. */
  const run = async (e: ExecInstance, out: StreamOut | undefined, stdin: Readable | undefined, raw: boolean): Promise<void> => {
    const send = (stream: 1 | 2, c: Buffer) => out?.write(raw ? c : frame(stream, c));
    e.running = true;
    // A Tty: script(1) gives the command a terminal fed from the connection (or from nothing).
    const input = stdin ?? (e.tty ? Readable.from([]) : undefined);
    try {
      e.exitCode = await execIn(
        ctx,
        e.containerId,
        e.command,
        {
          interactive: Boolean(stdin),
          tty: e.tty,
          env: e.env,
          envFiles: [],
          execId: e.id,
          ...(e.workingDir ? { workdir: e.workingDir } : {}),
          ...(e.user ? { user: e.user } : {}),
          ...(e.tty ? { size: { rows: e.size?.[0] || 24, cols: e.size?.[1] || 80 } } : {}),
        },
        {
          stdout: e.attachStdout ? (c) => send(1, c) : () => undefined,
          stderr: e.attachStderr ? (c) => send(2, c) : () => undefined,
          ...(input ? { stdin: input } : {}),
          onStart: (pid) => {
            e.pid = pid;
          },
        },
      );
    } catch (err) {
      // The command could not be started (126, as dockerd records any failed exec start): say so on stderr.
      e.exitCode = err instanceof RackerError ? err.exitCode : 126;
      send(2, Buffer.from(`${messageOf(err)}\n`));
    } finally {
      e.running = false;
      setTimeout(() => instances.delete(e.id), KEEP_MS).unref();
    }
  };

  /** Set the terminal's size once script(1) has made it (a resize may come a moment before). */
  const resize = async (e: ExecInstance, [rows, cols]: [number, number]): Promise<void> => {
    e.size = [rows, cols];
    if (!e.pid) return;
    for (let i = 0; i < 100 && e.running; i++) {
      const tty = terminalUnder(e.pid);
      if (tty) return resizeTerminal(ctx, tty, rows, cols);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return [
    route('POST', /^\/containers\/([^/]+)\/exec$/, async (x, [name]) => {
      const body = ((await x.body()) ?? {}) as ExecBody;
      const record = await findContainer(ctx, name!);
      const detachSpec = fieldOf(body, 'DetachKeys');
      if (detachSpec !== undefined && detachSpec !== null && typeof detachSpec !== 'string') throw new ApiError(400, 'DetachKeys must be a string');
      const detachKeys = detachKeysOf(detachSpec, 'escape');
      if (liveState(record).status !== 'running') throw new ApiError(409, `Container ${record.id} is not running`);
      if (record.state.paused) throw new ApiError(409, `Container ${record.id} is paused, unpause the container before exec`);
      const command = typeof body.Cmd === 'string' ? [body.Cmd] : (body.Cmd ?? []);
      if (!command.length) throw new ApiError(400, 'No exec command specified');
      const id = randomBytes(32).toString('hex');
      instances.set(id, {
        id,
        containerId: record.id,
        ...(isMember(ctx.caller) ? { ownerUid: ctx.caller.uid } : {}),
        command,
        env: (body.Env ?? []).filter((v) => v.includes('=')),
        ...(body.WorkingDir ? { workingDir: body.WorkingDir } : {}),
        ...(body.User ? { user: body.User } : {}),
        tty: Boolean(body.Tty),
        attachStdin: Boolean(body.AttachStdin),
        attachStdout: body.AttachStdout !== false,
        attachStderr: body.AttachStderr !== false,
        running: false,
        exitCode: null,
        detachKeys,
        ...(Array.isArray(body.ConsoleSize) && body.ConsoleSize.length === 2 ? { size: [Number(body.ConsoleSize[0]), Number(body.ConsoleSize[1])] as [number, number] } : {}),
      });
      emit(ctx, { type: 'container', action: `exec_create: ${command.join(' ')}`, container: record, attributes: { execID: id } });
      x.json(201, { Id: id });
    }),
    route('POST', /^\/exec\/([^/]+)\/start$/, async (x, [id]) => {
      const body = ((await x.body()) ?? {}) as { Detach?: boolean; Tty?: boolean; ConsoleSize?: number[] | null };
      const e = lookup(id!);
      if (e.running || e.exitCode !== null) throw new ApiError(409, `exec ${e.id} has already been started`);
      // As dockerd: the terminal is the create request's; the start request's Tty only says
      // whether the output comes raw or in frames (docker-py starts a Tty exec with Tty false).
      const raw = body.Tty === true;
      if (Array.isArray(body.ConsoleSize) && body.ConsoleSize.length === 2) e.size = [Number(body.ConsoleSize[0]), Number(body.ConsoleSize[1])];
      if (body.Detach) {
        void run(e, undefined, undefined, raw);
        return x.empty(200);
      }
      const { out, stdin } = x.hijack(streamContentType(raw, x.apiVersion, compareVersions));
      // A client older than ConsoleSize (API 1.42) sends its terminal size right after the hijack:
      // wait a moment for it, so that the command starts with the right size (longer for an
      // interactive session, where a client with a terminal always sends one).
      const waitMs = e.attachStdin ? 1000 : 300;
      for (let i = 0; e.tty && !e.size && i < waitMs / 20; i++) await new Promise((r) => setTimeout(r, 20));
      // The detach keys close the connection and leave the command running with its input open
      // (and silent). Only a terminal's input is scanned, as dockerd does: a plain stdin may
      // carry any bytes, ctrl-p ctrl-q among them.
      const detachable = (input: Readable) =>
        scanForDetach(input, e.detachKeys, {
          closeOnDetach: false,
          onDetach: () => {
            hangUp(out, input);
            void findContainer(ctx, e.containerId).then(
              (record) => emit(ctx, { type: 'container', action: 'exec_detach', container: record, attributes: { execID: e.id } }),
              () => undefined,
            );
          },
        });
      const input = e.attachStdin && stdin ? (e.tty ? detachable(stdin) : stdin) : undefined;
      try {
        await run(e, out, input, raw);
      } finally {
        out.end();
      }
    }),
    route('POST', /^\/exec\/([^/]+)\/resize$/, (x, [id]) => {
      const e = lookup(id!);
      const rows = Number(x.query.get('h'));
      const cols = Number(x.query.get('w'));
      if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new ApiError(400, 'resize needs h and w');
      if (e.tty) void resize(e, [rows, cols]);
      x.empty(200);
    }),
    route('GET', /^\/exec\/([^/]+)\/json$/, (x, [id]) => {
      const e = lookup(id!);
      x.json(200, {
        ID: e.id,
        Running: e.running,
        ExitCode: e.exitCode,
        ProcessConfig: { tty: e.tty, entrypoint: e.command[0], arguments: e.command.slice(1), privileged: false, user: e.user ?? '' },
        OpenStdin: e.attachStdin,
        OpenStdout: e.attachStdout,
        OpenStderr: e.attachStderr,
        CanRemove: false,
        ContainerID: e.containerId,
        DetachKeys: '',
        Pid: 0,
      });
    }),
  ];
}

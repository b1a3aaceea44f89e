/**
 * /exec: docker's two-step exec (create an instance, then start it, usually on a hijacked
 * connection) over racker's execIn. Instances live in the service's memory, like dockerd's.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { execIn } from '../container/exec-in.js';
import { findContainer, liveState } from '../container/record.js';
import { RackerError } from '../errors.js';
import type { Engine } from './engine.js';
import { ApiError, messageOf } from './errors.js';
import type { StreamOut } from './exchange.js';
import { frame, streamContentType } from './frames.js';
import { route, type Route } from './router.js';
import { compareVersions } from './version.js';

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
}

interface ExecInstance {
  id: string;
  containerId: string;
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
}

/** Finished instances are forgotten after this long (dockerd keeps them until the container goes). */
const KEEP_MS = 10 * 60_000;

export function execRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  const instances = new Map<string, ExecInstance>();

  const lookup = (id: string): ExecInstance => {
    const e = instances.get(id) ?? [...instances.values()].find((i) => i.id.startsWith(id));
    if (!e) throw new ApiError(404, `No such exec instance: ${id}`);
    return e;
  };

  /** Run the instance; output to `out` (frames, or raw with a Tty) unless detached. */
  const run = async (e: ExecInstance, out: StreamOut | undefined, stdin: Readable | undefined): Promise<void> => {
    const send = (stream: 1 | 2, c: Buffer) => out?.write(e.tty ? c : frame(stream, c));
    e.running = true;
    try {
      e.exitCode = await execIn(
        ctx,
        e.containerId,
        e.command,
        { interactive: Boolean(stdin), tty: false, env: e.env, envFiles: [], ...(e.workingDir ? { workdir: e.workingDir } : {}), ...(e.user ? { user: e.user } : {}) },
        {
          stdout: e.attachStdout ? (c) => send(1, c) : () => undefined,
          stderr: e.attachStderr ? (c) => send(2, c) : () => undefined,
          ...(stdin ? { stdin } : {}),
        },
      );
    } catch (err) {
      // The command could not be started (not found: 127, not executable: 126): say so on stderr.
      e.exitCode = err instanceof RackerError ? err.exitCode : 126;
      send(2, Buffer.from(`${messageOf(err)}\n`));
    } finally {
      e.running = false;
      setTimeout(() => instances.delete(e.id), KEEP_MS).unref();
    }
  };

  return [
    route('POST', /^\/containers\/([^/]+)\/exec$/, async (x, [name]) => {
      const body = ((await x.body()) ?? {}) as ExecBody;
      const record = await findContainer(ctx.paths, name!);
      if (liveState(record).status !== 'running') throw new ApiError(409, `Container ${record.id} is not running`);
      const command = typeof body.Cmd === 'string' ? [body.Cmd] : (body.Cmd ?? []);
      if (!command.length) throw new ApiError(400, 'No exec command specified');
      const id = randomBytes(32).toString('hex');
      instances.set(id, {
        id,
        containerId: record.id,
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
      });
      x.json(201, { Id: id });
    }),
    route('POST', /^\/exec\/([^/]+)\/start$/, async (x, [id]) => {
      const body = ((await x.body()) ?? {}) as { Detach?: boolean; Tty?: boolean };
      const e = lookup(id!);
      if (e.running || e.exitCode !== null) throw new ApiError(409, `exec ${e.id} has already been started`);
      if (body.Tty !== undefined) e.tty = Boolean(body.Tty);
      if (body.Detach) {
        void run(e, undefined, undefined);
        return x.empty(200);
      }
      const { out, stdin } = x.hijack(streamContentType(e.tty, x.apiVersion, compareVersions));
      try {
        await run(e, out, e.attachStdin ? stdin : undefined);
      } finally {
        out.end();
      }
    }),
    route('POST', /^\/exec\/([^/]+)\/resize$/, (x, [id]) => {
      lookup(id!);
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

/**
 * What the API server keeps between requests: the Context, exec instances (in memory,
 * as dockerd keeps them), the attach streams still draining, and the exit codes of
 * auto-removed containers. Per-container API settings racker's own record has no field
 * for (docker's Tty, AutoRemove, Labels) live beside it in engine-api.json, so they
 * survive a restart of the service and go away with the container.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { listContainers, liveState, readLive, type ContainerState } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { OutputListener } from './channel.js';

export interface ApiMeta {
  /** HostConfig.AutoRemove: the service removes the container once it has ended. */
  autoRemove?: boolean;
  /** Config.Tty: output is sent raw instead of in frames (racker gives no terminal). */
  tty?: boolean;
  labels?: Record<string, string>;
  /**
   * The create body's HostConfig fields racker does not act on (CpuShares, Memory, PidMode,
   * Init, Tmpfs, RestartPolicy, …), kept as given so inspect reports them back (doc/engine-api.md
   * says which have no effect).
   */
  hostConfig?: Record<string, unknown>;
  /** The same for Config (StopTimeout, StopSignal, Healthcheck, …). */
  config?: Record<string, unknown>;
  /** Env entries without '=' (a name only): kept for inspect, not set in the container. */
  bareEnv?: string[];
  /** HostConfig.LogConfig as given (json-file by default). */
  logConfig?: { Type: string; Config: Record<string, string> };
}

export interface ExitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

export interface EngineOptions {
  ctx: Context;
  /** racker's version, for /version and the Server header. */
  version: string;
  bootTimeoutSeconds: number;
}

const META = 'engine-api.json';
const POLL_MS = 25;

export class Engine {
  readonly ctx: Context;
  readonly version: string;
  readonly bootTimeoutSeconds: number;
  /** Exit results of containers removed by AutoRemove, for late `wait`s. */
  private readonly ended = new Map<string, ExitResult>();
  private readonly stopHooks: (() => void)[] = [];
  private readonly draining = new Map<string, Set<Promise<void>>>();
  private readonly monitors = new Map<string, Promise<void>>();
  /** Output channels of containers with attaches made before their start, and how many use each. */
  private readonly channels = new Map<string, { listener: Promise<OutputListener>; users: number }>();
  /** stdin of an attach made before start (docker run -i), for the start to hand to the container. */
  private readonly stdins = new Map<string, NodeJS.ReadableStream>();
  private stopped = false;

  constructor(opts: EngineOptions) {
    this.ctx = opts.ctx;
    this.version = opts.version;
    this.bootTimeoutSeconds = opts.bootTimeoutSeconds;
  }

  async meta(id: string): Promise<ApiMeta> {
    return readJson<ApiMeta>(path.join(this.ctx.paths.container(id), META), {}).catch(() => ({}));
  }

  async setMeta(id: string, meta: ApiMeta): Promise<void> {
    await writeJsonAtomic(path.join(this.ctx.paths.container(id), META), meta);
  }

  /** An attach stream of container id that must be drained before AutoRemove deletes the log. */
  track(id: string, done: Promise<void>): void {
    const set = this.draining.get(id) ?? new Set();
    this.draining.set(id, set);
    set.add(done);
    void done.finally(() => {
      set.delete(done);
      if (!set.size) this.draining.delete(id);
    });
  }

  /**
   * The output channel of a container about to start, shared by the attaches made before
   * the start; closed when the last of them is done.
   */
  async outputChannel(id: string): Promise<{ channel: OutputListener; release(): Promise<void> }> {
    let entry = this.channels.get(id);
    if (!entry) {
      entry = { listener: OutputListener.open(this.ctx.paths, id), users: 0 };
      this.channels.set(id, entry);
      entry.listener.catch(() => this.channels.delete(id));
    }
    const current = entry;
    current.users++;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      if (--current.users > 0) return;
      if (this.channels.get(id) === current) this.channels.delete(id);
      await (await current.listener).close();
    };
    try {
      return { channel: await current.listener, release };
    } catch (err) {
      await release().catch(() => undefined);
      throw err;
    }
  }

  /** An attach with stdin=1: the next start of the container reads its stdin from here. */
  attachStdin(id: string, input: NodeJS.ReadableStream): void {
    this.stdins.set(id, input);
    input.once('close', () => {
      if (this.stdins.get(id) === input) this.stdins.delete(id);
    });
  }

  takeStdin(id: string): NodeJS.ReadableStream | undefined {
    const input = this.stdins.get(id);
    this.stdins.delete(id);
    return input;
  }

  /** The result of an auto-removed container, once it is gone. */
  endedResult(id: string): ExitResult | undefined {
    return this.ended.get(id);
  }

  /** Watch an AutoRemove container: when it ends, let attaches drain, keep its result, remove it. */
  watch(id: string): void {
    if (this.monitors.has(id)) return;
    const work = (async () => {
      for (;;) {
        const live = await readLive(this.ctx.paths, id);
        if (!live) return; // removed by someone else
        if (live.state.status === 'created') return; // its start failed before it ran: the next start watches again
        if (live.state.status === 'exited') {
          await Promise.allSettled([...(this.draining.get(id) ?? [])]);
          this.ended.set(id, exitResult(live.state));
          await removeContainer(this.ctx, live.record, true).catch((err: unknown) => this.ctx.log.warn(`removing ${id.slice(0, 12)}: ${String(err)}`));
          return;
        }
        if (this.stopped) return;
        await sleep(POLL_MS);
      }
    })().finally(() => this.monitors.delete(id));
    this.monitors.set(id, work);
  }

  /** At start-up: AutoRemove containers that ended while no service ran go; running ones are watched. */
  async adopt(): Promise<void> {
    for (const r of await listContainers(this.ctx.paths)) {
      if (!(await this.meta(r.id)).autoRemove) continue;
      if (liveState(r).status !== 'created') this.watch(r.id);
    }
  }

  /** Work that ends with the service (cli-ready.ts's ready process). */
  onStop(fn: () => void): void {
    this.stopHooks.push(fn);
  }

  stop(): void {
    this.stopped = true;
    for (const fn of this.stopHooks.splice(0)) fn();
  }
}

/**
 * A container's end as `wait` reports it. Error stays null: the docker CLI reads an Error
 * as "waiting failed" (exit 125), while a command that could not run must give 126/127.
 */
export function exitResult(state: ContainerState): ExitResult {
  return { StatusCode: state.exitCode ?? 0, Error: null };
}

/** Poll interval shared by the waits of the API (wait, attach). */
export const API_POLL_MS = POLL_MS;

/**
 * /containers: the same operations as racker's verbs (lib/container), answered the way
 * dockerd answers. Containers run under racker's detached supervisor (what `racker start`
 * uses), so they outlive the service. An attach made before the start gets the output live
 * from the supervisor (output channel); later attaches and logs read the json-file log.
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { killContainer, normalizeSignal, reapOrphan, stopContainer } from '../container/control.js';
import { createContainer, type CreateOptions } from '../container/create.js';
import { followLogs } from '../container/follow.js';
import { pipeToOpenStdin } from '../container/open-stdin.js';
import { scanForDetach } from '../container/detach-keys.js';
import { detachKeysOf, hangUp } from './detach.js';
import { resizeTerminal, terminalUnder } from '../container/terminal.js';
import { readLog, type LogEntry } from '../container/logs.js';
import { findContainer, isRestarting, listContainers, visibleContainers, liveState, readContainer, readLive, type ContainerRecord, type ContainerState } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { startContainer } from '../container/start.js';
import { matchesFilter } from '../container/view.js';
import { NotFoundError, RackerError, UsageError } from '../errors.js';
import type { OutputListener } from './channel.js';
import { API_POLL_MS, exitResult, type Engine, type ExitResult } from './engine.js';
import { ApiError } from './errors.js';
import { containerInspect, containerSummary, createOptionsFrom, labelMatches, parseFilters, type CreateBody } from './container-json.js';
import type { StreamOut } from './exchange.js';
import { frame, streamContentType } from './frames.js';
import { flag, route, type Route } from './router.js';
import { compareVersions } from './version.js';
import { resourceRoutes } from './resources.js';

async function resizeWhenThere(ctx: Context, id: string, rows: number, cols: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await readContainer(ctx.paths, id);
    if (!r || liveState(r).status !== 'running') return;
    const holder = r.config.boot ? r.state.commandPid : r.state.leaderPid;
    const terminal = holder ? terminalUnder(holder) : undefined;
    if (terminal) return resizeTerminal(ctx, terminal, rows, cols);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** stop's and restart's ?t=: seconds before SIGKILL; absent, the container's own StopTimeout applies. */
function stopTimeoutOf(query: URLSearchParams): number | undefined {
  const t = query.get('t');
  if (t === null || t === '') return undefined;
  if (!/^-?\d+$/.test(t)) throw new ApiError(400, `invalid value for t: ${t}`);
  return Number(t);
}

/** A create body as racker's CreateOptions (pure; the caller adds the name). */

/** Whether `now` (its live state decided once) is the end of a run that began after `before` (a wait or attach set up earlier). */
function endedSince(before: ContainerRecord, now: { record: ContainerRecord; state: ContainerState }, sawRunning: boolean): boolean {
  if (now.state.status !== 'exited') return false;
  const s = now.record.state;
  // A start that failed before the container ran records an end but no start.
  return sawRunning || s.startedAt !== before.state.startedAt || s.finishedAt !== before.state.finishedAt;
}

/**
 * Follow a container's output from its log until its current or next run has ended
 * (attach is set up before start). `fromStart`: the whole log first (attach ?logs=1).
 */
export async function streamRun(
  ctx: Context,
  id: string,
  /** `from`: the log's end when the client was attached (what its stdin causes comes after). */
  opts: { fromStart: boolean; from?: number; follow: boolean; write: (e: LogEntry) => void; closed: () => boolean },
): Promise<ExitResult | undefined> {
  const file = ctx.paths.containerLog(id);
  const initial = await readContainer(ctx.paths, id);
  if (!initial) return undefined;
  let end = opts.fromStart ? 0 : (opts.from ?? (await fs.stat(file).then((s) => s.size, () => 0)));
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    // The record first: once it says exited, the log is complete (the supervisor closes it before).
    const live = await readLive(ctx.paths, id);
    const next = await readLog(file, end);
    next.entries.forEach(opts.write);
    end = next.end;
    if (!live || !opts.follow) return live && exitResult(live.state);
    if (live.state.status === 'running') sawRunning = true;
    else if (endedSince(initial, live, sawRunning)) {
      const { error, startedAt } = live.record.state;
      // A command that failed after the container started (boot mode: not found inside) says why;
      // a failed start is the start request's error instead.
      if (error && startedAt) opts.write({ log: `${error}\n`, stream: 'stderr', time: '' });
      return exitResult(live.state);
    }
    if (opts.closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

/**
 * Output of the container's next run through its output channel (byte-exact), until the
 * supervisor closes it and the run has ended. A supervisor that never connected leaves the
 * output in the log only: it is read from there (from `logOffset`) once the run has ended.
 */
async function streamChannel(
  ctx: Context,
  id: string,
  channel: OutputListener,
  opts: { write: (e: LogEntry) => void; logOffset: number; closed: () => boolean },
): Promise<ExitResult | undefined> {
  const initial = await readContainer(ctx.paths, id);
  if (!initial) return undefined;
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    const live = await readLive(ctx.paths, id);
    if (!live) return undefined;
    if (live.state.status === 'running') sawRunning = true;
    else if (endedSince(initial, live, sawRunning)) {
      if (channel.connected) {
        // The supervisor closes the channel before it records the end: this is at most a moment.
        await channel.whenEnded(5000);
      } else {
        const { entries } = await readLog(ctx.paths.containerLog(id), opts.logOffset);
        entries.forEach(opts.write);
      }
      const { error, startedAt } = live.record.state;
      if (error && startedAt) opts.write({ log: `${error}\n`, stream: 'stderr', time: '' });
      return exitResult(live.state);
    }
    if (opts.closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

/** Entries of a log as what a stream carries: frames, or raw bytes for a Tty container. */
function chunkWriter(out: StreamOut, opts: { tty: boolean; stdout: boolean; stderr: boolean }): (stream: 'stdout' | 'stderr', data: Buffer) => void {
  return (stream, data) => {
    if (stream === 'stdout' ? !opts.stdout : !opts.stderr) return;
    out.write(opts.tty ? data : frame(stream === 'stdout' ? 1 : 2, data));
  };
}

function entryWriter(out: StreamOut, opts: { tty: boolean; stdout: boolean; stderr: boolean; timestamps?: boolean }): (e: LogEntry) => void {
  const chunk = chunkWriter(out, opts);
  return (e) => chunk(e.stream, Buffer.from(opts.timestamps && e.time ? `${e.time} ${e.log}` : e.log));
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

async function waitFor(engine: Engine, id: string, condition: WaitCondition, closed: () => boolean): Promise<ExitResult | undefined> {
  const { paths } = engine.ctx;
  const initial = await readContainer(paths, id);
  if (!initial) return engine.endedResult(id) ?? { StatusCode: 0, Error: null };
  let last = exitResult(liveState(initial));
  let sawRunning = liveState(initial).status === 'running';
  for (;;) {
    const live = await readLive(paths, id);
    if (!live) return engine.endedResult(id) ?? last;
    if (live.state.status === 'running') sawRunning = true;
    else last = exitResult(live.state);
    if (condition === 'not-running' && live.state.status !== 'running') return last;
    if (condition === 'next-exit' && endedSince(initial, live, sawRunning)) return last;
    if (closed()) return undefined;
    await sleep(API_POLL_MS);
  }
}

export function containerRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  const find = (id: string) => findContainer(ctx, id);
  return [
    route('GET', /^\/containers\/json$/, async (x) => {
      const { racker, labels } = parseFilters(x.query.get('filters'));
      let records = await visibleContainers(ctx);
      // Like `racker ps`: containers whose supervisor died get their end recorded first.
      const orphans = records.filter((r) => r.state.status === 'running' && liveState(r).status === 'exited');
      if (orphans.length) {
        await Promise.all(orphans.map((r) => reapOrphan(ctx, r.id)));
        records = await visibleContainers(ctx);
      }
      const all = flag(x.query, 'all') || racker.some((f) => f[0]?.startsWith('status='));
      const now = ctx.clock().getTime();
      const rows: Record<string, unknown>[] = [];
      for (const r of records.sort((a, b) => b.created.localeCompare(a.created))) {
        if (!all && liveState(r).status !== 'running') continue;
        // Values of one key are alternatives; keys must all match.
        if (!racker.every((alternatives) => alternatives.some((f) => matchesFilter(r, [f])))) continue;
        const meta = await engine.meta(r.id);
        if (!labelMatches(meta.labels ?? {}, labels)) continue;
        rows.push(containerSummary(r, meta, now));
      }
      const limit = Number(x.query.get('limit') ?? -1);
      x.json(200, limit > 0 ? rows.slice(0, limit) : rows);
    }),
    route('GET', /^\/containers\/([^/]+)\/json$/, async (x, [id]) => {
      const r = await find(id!);
      x.json(200, containerInspect(r, await engine.meta(r.id)));
    }),
    route('POST', /^\/containers\/create$/, async (x) => {
      const { options, meta } = createOptionsFrom(((await x.body()) ?? {}) as CreateBody);
      const name = x.query.get('name');
      const platform = x.query.get('platform');
      // dockerd answers the platform warning (and others) in Warnings; the CLI prints them.
      const warnings: string[] = [];
      const record = await createContainer(ctx, {
        warn: (line) => warnings.push(line.replace(/^WARNING: /, '')),
        ...options,
        ...(name ? { name: name.replace(/^\//, '') } : {}),
        ...(platform ? { platform } : {}),
      });
      await engine.setMeta(record.id, meta);
      x.json(201, { Id: record.id, Warnings: warnings });
    }),
    route('POST', /^\/containers\/([^/]+)\/start$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status === 'running') return x.empty(304);
      const meta = await engine.meta(record.id);
      try {
        // docker run -i attached first: that connection is the command's stdin.
        const input = record.config.interactive ? engine.takeStdin(record.id) : undefined;
        await startContainer(ctx, record, engine.bootTimeoutSeconds, input);
      } finally {
        // Ended (or failed to start): the watcher removes it once its result is kept.
        if (meta.autoRemove) engine.watch(record.id);
      }
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/wait$/, async (x, [id]) => {
      let record: ContainerRecord;
      try {
        record = await find(id!);
      } catch (err) {
        // An AutoRemove container already gone: its result is still known (a client may wait after start).
        const gone = engine.endedResult(id!);
        if (err instanceof NotFoundError && gone) return x.json(200, gone);
        throw err;
      }
      const condition = (x.query.get('condition') || 'not-running') as WaitCondition;
      if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new ApiError(400, `invalid condition: "${condition}"`);
      // Headers at once: the docker CLI waits for them before it starts the container.
      const out = x.stream(200, 'application/json');
      const result = await waitFor(engine, record.id, condition, () => out.closed);
      if (result) out.write(`${JSON.stringify(result)}\n`);
      out.end();
    }),
    route('POST', /^\/containers\/([^/]+)\/stop$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') return x.empty(304);
      await stopContainer(ctx, record, stopTimeoutOf(x.query));
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/restart$/, async (x, [id]) => {
      // docker restart: stop (if running), then start again with the files it kept.
      const record = await find(id!);
      await stopContainer(ctx, record, stopTimeoutOf(x.query));
      await startContainer(ctx, await find(record.id), engine.bootTimeoutSeconds);
      if ((await engine.meta(record.id)).autoRemove) engine.watch(record.id);
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/kill$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') throw new ApiError(409, `Cannot kill container: ${id}: Container ${record.id} is not running`);
      await killContainer(ctx, record, normalizeSignal(x.query.get('signal') || 'KILL'));
      x.empty(204);
    }),
    route('GET', /^\/containers\/([^/]+)\/top$/, async (x, [id]) => {
      const record = await find(id!);
      if (liveState(record).status !== 'running') throw new ApiError(409, `Container ${record.id} is not running`);
      const psArgs = (x.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
      const { topOf } = await import('../container/top.js');
      x.json(200, await topOf(ctx, record, psArgs.length ? psArgs : undefined));
    }),
    route('POST', /^\/containers\/([^/]+)\/rename$/, async (x, [id]) => {
      const name = x.query.get('name');
      if (!name) throw new ApiError(400, 'new name is required (?name=)');
      const { renameContainer } = await import('../container/rename.js');
      try {
        await renameContainer(ctx, await find(id!), name);
      } catch (err) {
        if (err instanceof RackerError && /Conflict\./.test(err.message)) throw new ApiError(409, err.message);
        throw err;
      }
      x.empty(204);
    }),
    ...resourceRoutes(ctx, find),
    route('POST', /^\/containers\/prune$/, async (x) => {
      const { pruneStoppedContainers } = await import('../container/prune.js');
      const { ids, reclaimed } = await pruneStoppedContainers(ctx);
      x.json(200, { ContainersDeleted: ids, SpaceReclaimed: reclaimed });
    }),
    route('DELETE', /^\/containers\/([^/]+)$/, async (x, [id]) => {
      const record = await find(id!);
      const live = liveState(record);
      if (!flag(x.query, 'force') && (live.status === 'running' || isRestarting(live))) {
        throw new ApiError(409, `You cannot remove a ${live.status === 'running' ? 'running' : 'restarting'} container ${record.id}. Stop the container before attempting removal or force remove`);
      }
      await removeContainer(ctx, record, flag(x.query, 'force'));
      x.empty(204);
    }),
    // docker rm --link: DELETE /containers/PARENT/ALIAS?link=1 drops the link, both containers stay.
    route('DELETE', /^\/containers\/([^/]+)\/([^/]+)$/, async (x, [parent, alias]) => {
      if (!flag(x.query, 'link')) throw new NotFoundError(`No such container: ${parent}/${alias}`);
      const { removeLink } = await import('../container/links.js');
      await removeLink(ctx, `${parent}/${alias}`);
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/resize$/, async (x, [id]) => {
      const record = await find(id!);
      const rows = Number(x.query.get('h'));
      const cols = Number(x.query.get('w'));
      if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new ApiError(400, 'resize needs h and w');
      // Answered at once; the terminal may appear a moment later (a booted container's command starts after the boot).
      if (record.config.tty && liveState(record).status === 'running') void resizeWhenThere(ctx, record.id, rows, cols);
      x.empty(200);
    }),
    route('GET', /^\/containers\/([^/]+)\/logs$/, async (x, [id]) => {
      const record = await find(id!);
      const meta = await engine.meta(record.id);
      const stdout = flag(x.query, 'stdout');
      const stderr = flag(x.query, 'stderr');
      if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
      const tailText = x.query.get('tail') || 'all';
      // dockerd reads a negative tail (testcontainers sends -1) as "all".
      const tail = tailText === 'all' || Number(tailText) < 0 ? Infinity : Number(tailText);
      if (!Number.isInteger(tail) && tail !== Infinity) throw new UsageError(`invalid tail value: ${tailText}`);
      const tty = Boolean(meta.tty);
      // since/until: unix seconds (fractions allowed); 0 or absent means no bound.
      const bound = (name: string) => {
        const v = Number(x.query.get(name) || 0);
        if (!Number.isFinite(v)) throw new ApiError(400, `invalid ${name}: ${x.query.get(name)}`);
        return v > 0 ? v * 1000 : undefined;
      };
      const since = bound('since');
      const until = bound('until');
      const out = x.stream(200, streamContentType(tty, x.apiVersion, compareVersions));
      const frames = entryWriter(out, { tty, stdout, stderr, timestamps: flag(x.query, 'timestamps') });
      const write = (e: LogEntry) => {
        const t = Date.parse(e.time);
        if ((since !== undefined && t < since) || (until !== undefined && t > until)) return;
        frames(e);
      };
      const gone = new Error('client gone');
      await followLogs(ctx, record, {
        follow: flag(x.query, 'follow'),
        tail,
        write: (e) => {
          if (out.closed) throw gone;
          write(e);
        },
      }).catch((err: unknown) => {
        if (err !== gone) throw err;
      });
      out.end();
    }),
    route('POST', /^\/containers\/([^/]+)\/attach$/, async (x, [id]) => {
      // Checked first, as dockerd does (a bad spec is a 400 even for an unknown container).
      const detachKeys = detachKeysOf(x.query.get('detachKeys'), 'detach');
      const record = await find(id!);
      const meta = await engine.meta(record.id);
      const tty = Boolean(meta.tty);
      const follow = flag(x.query, 'stream');
      // Attached before the start (docker run): the output comes byte-exact through a channel
      // from the supervisor, set up before the client hears back (and so before it can start).
      const lease = follow && liveState(record).status !== 'running' ? await engine.outputChannel(record.id) : undefined;
      const logFile = ctx.paths.containerLog(record.id);
      const replay = lease && flag(x.query, 'logs') ? (await readLog(logFile)).entries : [];
      const logOffset = await fs.stat(logFile).then((s) => s.size, () => 0);
      // A request body is not stdin: dockerode sends its options as JSON there. Read and dropped
      // (whatever it holds), so that stdin begins after it.
      if (Number(x.headers['content-length'] ?? 0) > 0) await x.body().catch(() => undefined);
      const { out, stdin } = x.hijack(streamContentType(tty, x.apiVersion, compareVersions));
      const { emit } = await import('../events/log.js');
      emit(ctx, { type: 'container', action: 'attach', container: record });
      // stdin=1 on a container created with -i (OpenStdin): before it starts, its command reads
      // this connection; once it runs, what the client sends goes into its open stdin (when it
      // was started with nobody attached). Otherwise what the client sends is dropped.
      // The detach keys in it end the attach and leave the container running: the connection
      // closes; a command reading this connection keeps its stdin open when it has a terminal
      // and reads end of file when not (docker's StdinOnce, which `docker run -i` sets); an
      // open stdin (the FIFO, which the command holds open itself) only loses this writer.
      const wantsStdin = stdin && flag(x.query, 'stdin') && record.config.interactive;
      if (wantsStdin) {
        const beforeStart = liveState(record).status !== 'running';
        // Only a terminal's input is scanned, as dockerd does: any bytes may come through a
        // plain stdin (a binary piped into `docker run -i`), ctrl-p ctrl-q among them.
        const input = record.config.tty
          ? scanForDetach(stdin, detachKeys, {
              closeOnDetach: !beforeStart,
              onDetach: () => {
                emit(ctx, { type: 'container', action: 'detach', container: record });
                hangUp(out, stdin);
              },
            })
          : stdin;
        if (beforeStart) engine.attachStdin(record.id, input);
        // No open stdin (it was started attached to another connection): the keys still detach.
        else if (!pipeToOpenStdin(ctx.paths, record.id, input)) input.resume();
      } else stdin?.resume();
      const streams = { tty, stdout: flag(x.query, 'stdout'), stderr: flag(x.query, 'stderr') };
      const write = entryWriter(out, streams);
      let done: Promise<ExitResult | undefined>;
      if (lease) {
        replay.forEach(write);
        const chunk = chunkWriter(out, streams);
        const unsubscribe = lease.channel.subscribe((stream, payload) => chunk(stream === 1 ? 'stdout' : 'stderr', payload));
        done = streamChannel(ctx, record.id, lease.channel, { write, logOffset, closed: () => out.closed }).finally(() => {
          unsubscribe();
          return lease.release();
        });
      } else {
        done = streamRun(ctx, record.id, { fromStart: flag(x.query, 'logs'), from: logOffset, follow, write, closed: () => out.closed });
      }
      engine.track(record.id, done.then(() => undefined, () => undefined));
      try {
        await done;
      } finally {
        out.end();
      }
    }),
  ];
}

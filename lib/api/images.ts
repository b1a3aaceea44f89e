/** /images: list, inspect, pull (/images/create, streamed progress), remove — over lib/image. */
import { checkRootOnly } from '../access/policy.js';
import type { Engine } from './engine.js';
import { ApiError, messageOf } from './errors.js';
import type { Exchange, StreamOut } from './exchange.js';
import { filterEntries } from './filters.js';
import { flag, memberRoute, route, type Route } from './router.js';
import { displayName, displayString, resolveImageName } from '../image/names.js';
import { EMPTY_CONTAINER_CONFIG } from '../image/commit.js';
import { findImageNamed, listImages, readTags, type ImageRecord, type TagEntry } from '../image/store.js';
import { referenceMatches } from '../image/list-filter.js';
import { pullImageByName } from '../image/pull-any.js';
import { removeImage } from '../image/remove.js';
import type { Paths } from '../state/paths.js';

/** Tags and digests of each image, in docker's "name:tag" and "name@digest" forms. */
export async function namesById(paths: Paths): Promise<Map<string, { tags: string[]; digests: string[] }>> {
  const tags: Record<string, TagEntry> = await readTags(paths);
  const out = new Map<string, { tags: string[]; digests: string[] }>();
  for (const [key, entry] of Object.entries(tags)) {
    const names = out.get(entry.id) ?? { tags: [], digests: [] };
    out.set(entry.id, names);
    names.tags.push(displayString(key));
    if (entry.repoDigest) {
      const digest = `${displayName(key).repository}@${entry.repoDigest}`;
      if (!names.digests.includes(digest)) names.digests.push(digest);
    }
  }
  return out;
}

function unixSeconds(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function imageSummary(r: ImageRecord, names: { tags: string[]; digests: string[] } | undefined, containers: number): Record<string, unknown> {
  return {
    Id: r.id,
    ParentId: r.origin.kind === 'commit' ? r.origin.base : '',
    RepoTags: names?.tags.length ? names.tags.sort() : [],
    RepoDigests: names?.digests ?? [],
    Created: unixSeconds(r.created),
    Size: r.size,
    VirtualSize: r.size,
    SharedSize: -1,
    Labels: r.config.Labels ?? {},
    Containers: containers,
  };
}


export function imageInspect(r: ImageRecord, names: { tags: string[]; digests: string[] } | undefined): Record<string, unknown> {
  // A commit: the container it came from and the image it was made on (docker's Parent).
  const commit = r.origin.kind === 'commit' ? r.origin : undefined;
  return {
    Id: r.id,
    RepoTags: names?.tags.sort() ?? [],
    RepoDigests: names?.digests ?? [],
    Parent: commit?.base ?? '',
    Comment: r.origin.kind === 'import' ? (r.origin.comment ?? '') : '',
    Created: r.created ?? '0001-01-01T00:00:00Z',
    Container: commit?.container ?? '',
    ContainerConfig: commit?.containerConfig ?? EMPTY_CONTAINER_CONFIG,
    DockerVersion: '',
    Author: '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: r.config.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: r.config.ExposedPorts ?? null,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: r.config.Env ?? [],
      Cmd: r.config.Cmd ?? null,
      Image: '',
      Volumes: null,
      WorkingDir: r.config.WorkingDir ?? '',
      Entrypoint: r.config.Entrypoint ?? null,
      OnBuild: null,
      Labels: r.config.Labels ?? null,
      ...(r.config.StopSignal ? { StopSignal: r.config.StopSignal } : {}),
    },
    Architecture: r.architecture ?? 'amd64',
    // docker leaves Variant out when the image names none (amd64, arm64).
    ...(r.variant ? { Variant: r.variant } : {}),
    Os: r.os ?? 'linux',
    Size: r.size,
    VirtualSize: r.size,
    GraphDriver: { Name: 'overlay', Data: null },
    RootFS: { Type: 'layers', Layers: [] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    Racker: { Systemd: r.systemd, Origin: r.origin },
  };
}

/** GET /images/get and /images/{name}/get: the archive streamed; a bad name is a 404 before any byte. */
async function saveRoute(engine: Engine, x: Exchange, names: string[]): Promise<void> {
  if (!names.length) throw new ApiError(400, 'no image named (?names=)');
  const { saveImages } = await import('../image/save.js');
  const { Writable } = await import('node:stream');
  let out: StreamOut | undefined;
  // Backpressure from the client's socket to the blob being read: nothing piles up in memory.
  const body = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!out || out.closed) return callback(new Error('the client went away'));
      if (out.write(chunk)) callback();
      else void out.drained().then(() => callback());
    },
  });
  body.on('error', () => undefined);
  try {
    await saveImages(engine.ctx, names, body, { beforeFirstByte: () => (out = x.stream(200, 'application/x-tar')) });
  } finally {
    out?.end();
  }
}

/**
 * POST /images/create?fromSrc=: `docker import`. `-` is the request body (spooled to a scratch
 * file: the extraction reads it whole first), an http(s) URL is downloaded as `racker import
 * URL` does. Bad names and changes are a 400 before anything is read; after that, as dockerd,
 * a 200 JSON stream whose last line is `{"status": "sha256:…"}` or the error.
 */
async function importRoute(engine: Engine, x: Exchange): Promise<void> {
  const { ctx } = engine;
  const src = x.query.get('fromSrc');
  if (!src) throw new ApiError(400, 'fromImage or fromSrc is required');
  const { importImage, isUrl } = await import('../image/import.js');
  if (src !== '-' && !isUrl(src)) throw new ApiError(400, `fromSrc must be "-" (the request body) or an http(s) URL, not ${JSON.stringify(src)}`);
  const repo = x.query.get('repo');
  const tag = x.query.get('tag');
  const name = repo ? `${repo}${tag ? `:${tag}` : ''}` : undefined;
  if (name) resolveImageName(name);
  const changes = x.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim());
  const { applyChanges } = await import('../image/changes.js');
  applyChanges({}, changes);
  const message = x.query.get('message') ?? undefined;
  const out = x.stream(200, 'application/json');
  const send = (msg: object) => out.write(`${JSON.stringify(msg)}\r\n`);
  const opts = { changes, ...(message ? { message } : {}), progress: (line: string) => send({ status: line }) };
  try {
    let id: string;
    if (src === '-') {
      const { withSpooled } = await import('../container/archive/spool.js');
      id = await withSpooled(ctx.paths, x.bodyStream(), (file) => importImage(ctx, file, name, { ...opts, sourceName: 'the request body' }));
    } else {
      id = await importImage(ctx, src, name, opts);
    }
    send({ status: id });
  } catch (err) {
    const message = messageOf(err);
    send({ errorDetail: { message }, error: message });
  }
  out.end();
}

/** An image named in a path: a reference, a label or an ID (prefix). */
export async function lookupImage(paths: Paths, name: string): Promise<ImageRecord> {
  return (await findImageNamed(paths, name)).record;
}

/**
 * One of racker's pull lines as the Engine's JSON progress message: "ID: status" lines
 * (layers, the tag) carry an id; "Digest: …" and "Status: …" do not.
 */
export function progressMessage(line: string): { status: string; id?: string; progressDetail?: object } {
  const m = /^([^\s:]+): (.*)$/.exec(line);
  if (m && m[1] !== 'Digest' && m[1] !== 'Status') return { status: m[2]!, id: m[1]!, progressDetail: {} };
  return { status: line };
}

// referenceMatches lives with `images --filter` (lib/image/list-filter.ts); exported here too for the API's users.
export { referenceMatches };

/** ?filters= of /images/json: reference and dangling (others are refused, not ignored). */
export function imageFilter(text: string | null): (tags: readonly string[]) => boolean {
  const checks: ((tags: readonly string[]) => boolean)[] = [];
  for (const [key, values] of filterEntries(text)) {
    if (key === 'reference') checks.push((tags) => values.some((v) => referenceMatches(v, tags)));
    else if (key === 'dangling') checks.push((tags) => values.every((v) => (v === 'true' || v === '1') === (tags.length === 0)));
    else throw new ApiError(400, `invalid filter '${key}' (racker supports reference, dangling)`);
  }
  return (tags) => checks.every((c) => c(tags));
}

export function imageRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    memberRoute('GET', /^\/images\/json$/, async (x) => {
      const [images, names] = await Promise.all([listImages(ctx.paths), namesById(ctx.paths)]);
      // Like dockerd: untagged images are listed too (<none>:<none>); Containers is -1 (not counted).
      const keep = imageFilter(x.query.get('filters'));
      const rows = images.filter((r) => keep(names.get(r.id)?.tags ?? [])).map((r) => imageSummary(r, names.get(r.id), -1));
      rows.sort((a, b) => (b.Created as number) - (a.Created as number));
      x.json(200, rows);
    }),
    memberRoute('GET', /^\/images\/(.+)\/json$/, async (x, [name]) => {
      const r = await lookupImage(ctx.paths, name!);
      x.json(200, imageInspect(r, (await namesById(ctx.paths)).get(r.id)));
    }),
    memberRoute('POST', /^\/images\/create$/, async (x) => {
      const from = x.query.get('fromImage');
      // An import names its own tag: a member could put their content under a name root runs.
      if (!from) {
        checkRootOnly(ctx.caller, 'import (POST /images/create?fromSrc=…)');
        return importRoute(engine, x);
      }
      const tag = x.query.get('tag');
      // "tag" may be a tag or a digest; fromImage may already carry one.
      const name = tag ? `${from}${tag.includes(':') ? '@' : ':'}${tag}` : from;
      resolveImageName(name); // a malformed reference: 400 before any stream starts
      const platformText = x.query.get('platform');
      const { parsePlatform } = await import('../image/platform.js');
      const platform = platformText ? parsePlatform(platformText) : undefined; // a bad one: 400 too
      const out = x.stream(200, 'application/json');
      const send = (msg: object) => out.write(`${JSON.stringify(msg)}\r\n`);
      try {
        await pullImageByName(ctx, name, { status: (l) => send(progressMessage(l)), progress: (l) => send(progressMessage(l)), ...(platform ? { platform } : {}) });
      } catch (err) {
        const message = messageOf(err);
        send({ errorDetail: { message }, error: message });
      }
      out.end();
    }),
    route('POST', /^\/images\/(.+)\/tag$/, async (x, [name]) => {
      const repo = x.query.get('repo');
      if (!repo) throw new ApiError(400, 'repository name is required (?repo=)');
      const tag = x.query.get('tag');
      const { tagImage } = await import('../image/tag.js');
      await tagImage(ctx.paths, name!, tag ? `${repo}:${tag}` : repo);
      x.empty(201);
    }),
    memberRoute('GET', /^\/images\/get$/, async (x) => saveRoute(engine, x, x.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean))),
    memberRoute('GET', /^\/images\/(.+)\/get$/, async (x, [name]) => saveRoute(engine, x, [name!])),
    route('POST', /^\/images\/load$/, async (x) => {
      const { loadImages, loadedLines } = await import('../image/load.js');
      const { PassThrough } = await import('node:stream');
      // Like dockerd: 200 and a JSON stream at once, a failed load reported in it
      // (docker-py raises ImageLoadError for it). The loader reads a copy of the body, so a
      // refused archive does not tear the request down before the answer; the rest is dropped.
      const body = x.bodyStream();
      const input = new PassThrough();
      body.pipe(input);
      const out = x.stream(200, 'application/json');
      const send = (msg: object) => out.write(`${JSON.stringify(msg)}\r\n`);
      try {
        for (const line of loadedLines(await loadImages(ctx, input))) send({ stream: `${line}\n` });
      } catch (err) {
        body.unpipe(input);
        body.resume();
        const message = messageOf(err);
        send({ errorDetail: { message }, error: message });
      }
      out.end();
    }),
    memberRoute('GET', /^\/images\/(.+)\/history$/, async (x, [name]) => {
      const { imageHistory } = await import('../image/history-of.js');
      const rows = await imageHistory(ctx, name!);
      x.json(200, rows.map((r) => ({ Id: r.id, Created: unixSeconds(r.created), CreatedBy: r.createdBy, Tags: r.tags.length ? r.tags : null, Size: r.size, Comment: r.comment })));
    }),
    route('POST', /^\/images\/prune$/, async (x) => {
      const { parsePruneFilters, pruneImages } = await import('../image/prune.js');
      const entries = filterEntries(x.query.get('filters'));
      const dangling = entries.find(([k]) => k === 'dangling');
      // dangling=false means every unused image (docker's `prune -a`).
      const all = dangling ? dangling[1].some((v) => v === 'false' || v === '0') : false;
      const filter = parsePruneFilters(entries.filter(([k]) => k !== 'dangling'), ctx.clock());
      const r = await pruneImages(ctx, { all, filter });
      x.json(200, { ImagesDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.spaceReclaimed });
    }),
    route('POST', /^\/commit$/, async (x) => {
      const container = x.query.get('container');
      if (!container) throw new ApiError(400, 'container is required (?container=)');
      const repo = x.query.get('repo');
      const tag = x.query.get('tag');
      const changes = x.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim());
      const { commitContainer } = await import('../image/commit.js');
      const id = await commitContainer(ctx, container, {
        ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}),
        ...(x.query.get('comment') ? { message: x.query.get('comment')! } : {}),
        ...(x.query.get('author') ? { author: x.query.get('author')! } : {}),
        changes,
      });
      x.json(201, { Id: id });
    }),
    route('DELETE', /^\/images\/(.+)$/, async (x, [name]) => {
      const lines = await removeImage(ctx, name!, { force: flag(x.query, 'force') });
      x.json(
        200,
        lines.map((l) => (l.kind === 'Untagged' ? { Untagged: l.what } : { Deleted: l.what })),
      );
    }),
  ];
}

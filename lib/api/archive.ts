/**
 * The container file-system endpoints: archive (HEAD/GET/PUT: docker cp), changes (docker
 * diff) and export. The work is in lib/container/archive/.
 */
import { findContainer } from '../container/record.js';
import type { Engine } from './engine.js';
import type { StreamOut } from './exchange.js';
import { flag, route, type Route } from './router.js';

/** A writer for the archive functions: false once the client has gone, waiting while its buffer is full. */
function writerTo(out: StreamOut): (chunk: Buffer) => Promise<boolean> {
  return async (chunk) => {
    if (out.closed) return false;
    out.write(chunk);
    await out.drained();
    return !out.closed;
  };
}

export function archiveRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  const find = (id: string) => findContainer(ctx, id);
  const archive = () => import('../container/archive/archive.js');
  const stat = () => import('../container/archive/stat.js');
  return [
    route('HEAD', /^\/containers\/([^/]+)\/archive$/, async (x, [id]) => {
      const { checkRequestPath, statContainerPath } = await archive();
      const { STAT_HEADER, encodeStat } = await stat();
      const record = await find(id!);
      const p = checkRequestPath(x.query.get('path'));
      const s = await statContainerPath(ctx, record, p);
      x.text(200, '', { [STAT_HEADER]: encodeStat(s) });
    }),
    route('GET', /^\/containers\/([^/]+)\/archive$/, async (x, [id]) => {
      const { archiveContainerPath, checkRequestPath } = await archive();
      const { STAT_HEADER, encodeStat } = await stat();
      const record = await find(id!);
      const p = checkRequestPath(x.query.get('path'));
      let out: StreamOut | undefined;
      await archiveContainerPath(
        ctx,
        record,
        p,
        (s) => {
          out = x.stream(200, 'application/x-tar', { [STAT_HEADER]: encodeStat(s) });
        },
        (chunk) => writerTo(out!)(chunk),
      ).finally(() => out?.end());
    }),
    route('PUT', /^\/containers\/([^/]+)\/archive$/, async (x, [id]) => {
      const { checkRequestPath, extractIntoContainer } = await archive();
      const { withSpooled } = await import('../container/archive/spool.js');
      const record = await find(id!);
      const p = checkRequestPath(x.query.get('path'));
      const copyUIDGID = flag(x.query, 'copyUIDGID');
      // Every extraction refuses to put a directory over a file or a file over a directory
      // (docker's noOverwriteDirNonDir, which the docker CLI always sends): the flag is accepted either way.
      await withSpooled(ctx.paths, x.bodyStream(), (file) => extractIntoContainer(ctx, record, p, file, { copyUIDGID }));
      x.empty(200);
    }),
    route('GET', /^\/containers\/([^/]+)\/changes$/, async (x, [id]) => {
      const { containerChanges } = await import('../container/archive/changes.js');
      x.json(200, await containerChanges(ctx, await find(id!)));
    }),
    route('GET', /^\/containers\/([^/]+)\/export$/, async (x, [id]) => {
      const { exportContainer } = await archive();
      const record = await find(id!);
      let out: StreamOut | undefined;
      await exportContainer(
        ctx,
        record,
        () => {
          out = x.stream(200, 'application/x-tar');
        },
        (chunk) => writerTo(out!)(chunk),
      ).finally(() => out?.end());
    }),
  ];
}

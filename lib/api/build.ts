/**
 * POST /build: `docker build` through the Engine API. The body is the context as a tar
 * (plain or compressed), spooled and unpacked into tmp/ by the same extraction `import`
 * uses (entries that would escape are refused). The Dockerfile is read inside that context
 * (lib/fs/in-root.ts: a link in it never names a host file) and handed to buildah as a copy.
 * Then lib/image/build.ts, its lines as {"stream": …}, the ID as {"aux": {"ID": …}}, a
 * failure as dockerd's {"errorDetail", "error"} line in the 200 stream.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from './engine.js';
import { ApiError, messageOf } from './errors.js';
import { flag, route, type Route } from './router.js';
import { resolveImageName } from '../image/names.js';
import { scratchDir } from '../image/store.js';

/** ?buildargs= is a JSON object of NAME → value (a null value: taken from the environment, as the CLI's NAME alone). */
export function buildArgsOf(text: string | null): string[] {
  if (!text) return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'buildargs is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'buildargs must be a JSON object');
  return Object.entries(v as Record<string, unknown>).map(([k, val]) => (val === null ? k : `${k}=${String(val)}`));
}

/**
 * A failed shell-form RUN in dockerd's words, which clients match on ("The command '/bin/sh -c
 * exit 1' returned a non-zero code: 1"); buildah's own message otherwise.
 */
export function dockerMessage(message: string): string {
  const m = /^building at STEP "RUN (.*)": exit status (\d+)$/s.exec(message);
  if (!m || m[1]!.trimStart().startsWith('[')) return message;
  return `The command '/bin/sh -c ${m[1]}' returned a non-zero code: ${m[2]}`;
}

export function buildRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    route('POST', /^\/build$/, async (x) => {
      const tags = x.query.getAll('t');
      for (const t of tags) resolveImageName(t);
      if (x.query.get('remote')) throw new ApiError(501, 'not supported by racker: POST /build with remote (a context from a URL)');
      const buildArgs = buildArgsOf(x.query.get('buildargs'));
      const dockerfile = x.query.get('dockerfile') || undefined;
      const out = x.stream(200, 'application/json');
      const send = (msg: object) => out.write(`${JSON.stringify(msg)}\r\n`);
      const dir = await scratchDir(ctx.paths, 'context');
      try {
        const context = path.join(dir, 'context');
        await fs.mkdir(context);
        const { withSpooled } = await import('../container/archive/spool.js');
        const { extractRootfs } = await import('../image/extract.js');
        await withSpooled(ctx.paths, x.bodyStream(), (file) => extractRootfs(file, context));
        const { ContainerRoot, fdPath } = await import('../fs/in-root.js');
        const { DEFAULT_NAMES } = await import('../image/containerfile.js');
        const text = ContainerRoot.with(context, (root) => {
          for (const name of dockerfile ? [dockerfile] : DEFAULT_NAMES) {
            const found = root.find(name, { follow: true });
            if (found?.fd !== undefined && found.stat?.isFile()) return readFileSync(fdPath(found.fd));
          }
          return undefined;
        });
        if (!text) throw new ApiError(400, `Cannot locate specified Dockerfile: ${dockerfile ?? 'Dockerfile'}`);
        const file = path.join(dir, 'Containerfile');
        await fs.writeFile(file, text);
        const { buildImage } = await import('../image/build.js');
        const quiet = flag(x.query, 'q');
        const line = (l: string) => send({ stream: `${l}\n` });
        const id = await buildImage(ctx, {
          context,
          file,
          tags,
          buildArgs,
          noCache: flag(x.query, 'nocache'),
          quiet,
          pull: flag(x.query, 'pull'),
          ...(x.query.get('target') ? { target: x.query.get('target')! } : {}),
          ...(quiet ? {} : { output: line, status: line }),
        });
        send({ aux: { ID: id } });
        // The classic builder's last lines: clients (docker-py) take the ID from "Successfully built".
        if (quiet) send({ stream: `${id}\n` });
        else {
          send({ stream: `Successfully built ${id.slice(7, 19)}\n` });
          for (const t of tags) send({ stream: `Successfully tagged ${t}\n` });
        }
      } catch (err) {
        const message = dockerMessage(messageOf(err));
        send({ errorDetail: { message }, error: message });
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
        out.end();
      }
    }),
  ];
}

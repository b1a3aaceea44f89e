/**
 * racker pull: registry → shared OCI layout (skopeo) → unpacked machine image (umoci).
 * One pull per name at a time (a second pull of the same name waits, then finds it
 * up to date); nothing is visible in the store until it is complete.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CommandError, NotFoundError, RegistryError, RegistryUnreachableError } from '../errors.js';
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { findCredentials, writeTemporaryAuthFile } from '../registry/auth.js';
import { remoteManifestDigest } from '../registry/client.js';
import { classifySkopeoError, copyToLayoutArgv } from '../tools/skopeo.js';
import { unpackArgv } from '../tools/umoci.js';
import { layoutTag, readLayoutImage } from './oci-layout.js';
import { familiarString, formatReference, isLoopbackRegistry, type ImageReference } from './reference.js';
import {
  commitImage,
  hasSystemd,
  imageExists,
  readTags,
  removeImageData,
  scratchDir,
  taggedIds,
  treeSize,
  updateTags,
} from './store.js';
import { cleanScratch } from './scratch.js';

export interface PullOptions {
  force?: boolean;
  /** undefined: verify, except for loopback registries (plain HTTP like docker). */
  tlsVerify?: boolean;
  /** Status lines ("Digest: …"); progress goes to `progress`. */
  status?: (line: string) => void;
  progress?: (line: string) => void;
}

export interface PullResult {
  key: string;
  id: string;
  digest: string;
  updated: boolean;
}

/** docker.io pulls go to RACKER_REGISTRY_MIRROR when set (like dockerd's registry-mirrors). */
export function sourceReference(ref: ImageReference, env: NodeJS.ProcessEnv): ImageReference {
  const mirror = env.RACKER_REGISTRY_MIRROR?.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return mirror && ref.registry === 'docker.io' ? { ...ref, registry: mirror } : ref;
}

export function lockName(key: string): string {
  return `pull-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export async function pullReference(ctx: Context, ref: ImageReference, opts: PullOptions = {}): Promise<PullResult> {
  const key = formatReference(ref);
  const source = sourceReference(ref, ctx.env);
  const tlsVerify = opts.tlsVerify ?? !isLoopbackRegistry(source.registry);
  const status = opts.status ?? (() => {});
  status(`${ref.tag ?? ref.digest}: Pulling from ${ref.repository}`);

  await cleanScratch(ctx.paths);
  return withLock(
    ctx.paths.lock(lockName(key)),
    async () => {
      const credentials = await findCredentials(source.registry, ctx.env);
      const digest = await remoteManifestDigest(source, { tlsVerify, credentials, log: ctx.log });
      const current = (await readTags(ctx.paths))[key];
      if (!opts.force && current?.repoDigest === digest && imageExists(ctx.paths, current.id)) {
        status(`Digest: ${digest}`);
        status(`Status: Image is up to date for ${familiarString(ref)}`);
        return { key, id: current.id, digest, updated: false };
      }

      const tag = layoutTag(key);
      await copyIntoLayout(ctx, source, tag, { tlsVerify, credentials, progress: opts.progress });
      const layoutImage = await readLayoutImage(ctx.paths.oci, tag);
      const id = layoutImage.configDigest;
      if (opts.force || !imageExists(ctx.paths, id)) {
        const dir = await scratchDir(ctx.paths, 'pull');
        try {
          await ctx.run(unpackArgv(ctx.paths.oci, tag, path.join(dir, 'bundle')));
          await fs.rename(path.join(dir, 'bundle', 'rootfs'), path.join(dir, 'rootfs'));
          await fs.rm(path.join(dir, 'bundle'), { recursive: true, force: true });
          const rootfs = path.join(dir, 'rootfs');
          if (opts.force && imageExists(ctx.paths, id)) await removeImageData(ctx.paths, id);
          await commitImage(ctx.paths, dir, {
            id,
            ...(layoutImage.created ? { created: layoutImage.created } : {}),
            size: await treeSize(rootfs),
            ...(layoutImage.architecture ? { architecture: layoutImage.architecture } : {}),
            ...(layoutImage.os ? { os: layoutImage.os } : {}),
            config: layoutImage.config,
            origin: { kind: 'registry', reference: key, manifestDigest: digest },
            systemd: hasSystemd(rootfs),
          });
        } catch (err) {
          await fs.rm(dir, { recursive: true, force: true });
          throw err;
        }
      }
      await retag(ctx, key, { id, repoDigest: digest, updated: ctx.clock().toISOString() });
      status(`Digest: ${digest}`);
      status(`Status: Downloaded newer image for ${familiarString(ref)}`);
      return { key, id, digest, updated: true };
    },
    { onWait: () => ctx.log.info(`Waiting for another pull of ${familiarString(ref)} to finish`) },
  );
}

/** Point key at a new image; the image it pointed at before goes if nothing else needs it. */
export async function retag(ctx: Context, key: string, entry: { id: string; repoDigest?: string; updated: string }): Promise<void> {
  let previous: string | undefined;
  let stillTagged = true;
  await updateTags(ctx.paths, (tags) => {
    previous = tags[key]?.id;
    tags[key] = entry;
    stillTagged = previous !== undefined && taggedIds(tags).has(previous);
  });
  if (previous && previous !== entry.id && !stillTagged) {
    const { imageInUse } = await import('./usage.js');
    if (!(await imageInUse(ctx.paths, previous))) await removeImageData(ctx.paths, previous);
  }
}

async function copyIntoLayout(
  ctx: Context,
  source: ImageReference,
  tag: string,
  o: { tlsVerify: boolean; credentials?: { username: string; password: string }; progress?: (line: string) => void },
): Promise<void> {
  await Promise.all([fs.mkdir(ctx.paths.run, { recursive: true }), fs.mkdir(ctx.paths.lib, { recursive: true })]);
  const auth = o.credentials ? await writeTemporaryAuthFile(source.registry, o.credentials, ctx.paths.run) : undefined;
  try {
    // skopeo updates index.json of the shared layout: one writer at a time.
    await withLock(ctx.paths.lock('oci-layout'), async () => {
      await ctx.run(
        copyToLayoutArgv(formatReference(source), ctx.paths.oci, tag, {
          tlsVerify: o.tlsVerify,
          ...(auth ? { authFile: auth.path } : {}),
        }),
        { onLine: (line) => progressLine(line, o.progress) },
      );
    });
  } catch (err) {
    if (err instanceof CommandError) throw skopeoFailure(err, source);
    throw err;
  } finally {
    await auth?.dispose();
  }
}

/** skopeo's "Copying blob sha256:…" lines, in docker's shape. */
function progressLine(line: string, progress?: (line: string) => void): void {
  const m = /^Copying blob (?:sha256:)?([a-f0-9]{12})[a-f0-9]*(.*)$/.exec(line.trim());
  if (m && progress) progress(`${m[1]}: ${/skipped|already exists/.test(m[2] ?? '') ? 'Already exists' : 'Pull complete'}`);
}

function skopeoFailure(err: CommandError, source: ImageReference): Error {
  const shown = formatReference(source);
  switch (classifySkopeoError(err.stderr)) {
    case 'not-found':
      return new NotFoundError(`manifest for ${shown} not found: manifest unknown`);
    case 'unauthorized':
      return new RegistryError(`unauthorized: access to ${shown} was denied`, { hint: `run: racker login ${source.registry}` });
    case 'tls':
      return new RegistryError(`TLS verification failed for ${source.registry}`, { hint: 'use --tls-verify=false if you trust this registry' });
    case 'unreachable':
      return new RegistryUnreachableError(`cannot reach registry ${source.registry}`);
    default:
      return err;
  }
}

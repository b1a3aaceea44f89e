/**
 * racker pull: registry → shared OCI layout (skopeo) → unpacked machine image (umoci).
 * One pull per name at a time (a second pull of the same name waits, then finds it
 * up to date); nothing is visible in the store until it is complete.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CommandError, NotFoundError, RackerError, RegistryError, RegistryUnreachableError, UsageError, errorMessage } from '../errors.js';
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { findCredentials, writeTemporaryAuthFile } from '../registry/auth.js';
import type { Meter } from '../progress.js';
import { remoteLayers, remoteManifestDigest, remotePlatforms, tlsHint, type RemoteLayers } from '../registry/client.js';
import { formatPlatform, hostPlatform, samePlatform, type Platform } from './platform.js';
import { copyToLayoutArgv, parseSkopeoError } from '../tools/skopeo.js';
import { unpackArgv } from '../tools/umoci.js';
import { dropLayoutTag, layoutTag, readLayoutImage } from './oci-layout.js';
import { familiarString, formatReference, isLoopbackRegistry, type ImageReference } from '../registry/reference.js';
import {
  commitImage,
  hasSystemd,
  imageExists,
  readImage,
  nameLock,
  readTags,
  removeImageData,
  retag,
  scratchDir,
  treeSize,
} from './store.js';
import { bytesReadBy, downloadedBytes, watch } from './pull-meter.js';
import { cleanScratch } from './scratch.js';
import { crashPoint } from '../state/crash-point.js';

export interface PullOptions {
  force?: boolean;
  /** undefined: verify, except for loopback registries (plain HTTP like docker). */
  tlsVerify?: boolean;
  /** Status lines ("Digest: …"); progress goes to `progress`. */
  status?: (line: string) => void;
  progress?: (line: string) => void;
  /** Byte progress of the download and the unpack, for a bar on a terminal. */
  meter?: Meter;
  /** --platform: this one from a multi-platform index (default: the host's, as skopeo picks). */
  platform?: Platform;
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

/**
 * How long a pull waits on a registry, in seconds, each overridable from the environment:
 * - RACKER_REGISTRY_TIMEOUT (15): one request racker makes itself (the manifest digest, a
 *   token), from connecting to the end of the answer. Such answers are a few hundred bytes.
 * - RACKER_PULL_TIMEOUT (3600): the whole copy of the image by skopeo, which has no
 *   per-read timeout. An hour keeps a multi-GB image on a slow link from being cut off,
 *   while a registry that stalls mid-blob still cannot hold a pull (or a CI job) forever.
 */
export const REGISTRY_TIMEOUT_ENV = 'RACKER_REGISTRY_TIMEOUT';
export const PULL_TIMEOUT_ENV = 'RACKER_PULL_TIMEOUT';

export function pullTimeouts(env: NodeJS.ProcessEnv): { requestMs: number; copySeconds: number } {
  const seconds = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(raw.trim()) || !(n > 0)) {
      throw new UsageError(`${name} must be a number of seconds greater than 0 (got ${JSON.stringify(raw)})`);
    }
    return n;
  };
  return { requestMs: Math.round(seconds(REGISTRY_TIMEOUT_ENV, 15) * 1000), copySeconds: seconds(PULL_TIMEOUT_ENV, 3600) };
}

export async function pullReference(ctx: Context, ref: ImageReference, opts: PullOptions = {}): Promise<PullResult> {
  const key = formatReference(ref);
  const source = sourceReference(ref, ctx.env);
  const tlsVerify = opts.tlsVerify ?? !isLoopbackRegistry(source.registry);
  const status = opts.status ?? (() => {});
  const timeouts = pullTimeouts(ctx.env);
  status(`${ref.tag ?? ref.digest}: Pulling from ${ref.repository}`);

  await cleanScratch(ctx.paths);
  return withLock(
    ctx.paths.lock(nameLock(key)),
    async () => {
      const credentials = await findCredentials(source.registry, ctx.env);
      const digest = await remoteManifestDigest(source, {
        tlsVerify,
        credentials,
        log: ctx.log,
        timeoutMs: timeouts.requestMs,
        timeoutSetting: REGISTRY_TIMEOUT_ENV,
      });
      const current = (await readTags(ctx.paths))[key];
      // Asked for a platform: the stored image must be that one too (an index has one digest for all).
      const samePlatformAsStored = async () => !opts.platform || samePlatform((await readImage(ctx.paths, current!.id)) ?? {}, opts.platform);
      if (!opts.force && current?.repoDigest === digest && imageExists(ctx.paths, current.id) && (await samePlatformAsStored())) {
        status(`Digest: ${digest}`);
        status(`Status: Image is up to date for ${familiarString(ref)}`);
        return { key, id: current.id, digest, updated: false };
      }

      const tag = layoutTag(key);
      // Sizes for a progress bar: one more small request, made only when a bar is drawn;
      // a pull never fails for the sake of its bar.
      const layers = opts.meter
        ? await remoteLayers(source, { tlsVerify, credentials, log: ctx.log, timeoutMs: timeouts.requestMs, retries: 0, ...(opts.platform ? { platform: opts.platform } : {}) }).catch(() => undefined)
        : undefined;
      const meter = opts.meter && layers?.total ? { meter: opts.meter, layers } : undefined;
      await copyIntoLayout(ctx, source, tag, {
        tlsVerify,
        credentials,
        progress: opts.progress,
        timeoutSeconds: timeouts.copySeconds,
        ...(meter ? { meter } : {}),
        ...(opts.platform ? { platform: opts.platform } : {}),
      });
      crashPoint('pull:copied');
      const layoutImage = await readLayoutImage(ctx.paths.oci, tag);
      // A single-platform manifest is copied whatever its platform: docker refuses it then too.
      if (opts.platform && !samePlatform(layoutImage, opts.platform)) {
        await dropLayoutTag(ctx, key).catch(() => undefined);
        throw new RackerError(
          `image ${familiarString(ref)} is ${formatPlatform(layoutImage)} only, not ${formatPlatform(opts.platform)}`,
        );
      }
      const id = layoutImage.configDigest;
      if (opts.force || !imageExists(ctx.paths, id)) {
        const dir = await scratchDir(ctx.paths, 'pull');
        try {
          let stop: ((completed: boolean) => void) | undefined;
          let unpacked = false;
          try {
            await ctx.run(unpackArgv(ctx.paths.oci, tag, path.join(dir, 'bundle')), {
              ...(meter ? { onSpawn: (pid: number) => (stop = watch(meter.meter, 'Extracting', meter.layers.total, () => bytesReadBy(pid))) } : {}),
            });
            unpacked = true;
          } finally {
            stop?.(unpacked);
          }
          crashPoint('pull:unpacked');
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
            ...(layoutImage.variant ? { variant: layoutImage.variant } : {}),
            config: layoutImage.config,
            origin: { kind: 'registry', reference: key, manifestDigest: digest },
            systemd: hasSystemd(rootfs),
          });
        } catch (err) {
          await fs.rm(dir, { recursive: true, force: true });
          // The copy left this image's blobs in the shared layout under `tag`, which no stored
          // image needs now. On a full disk they held the space (50 MB for Debian) that the
          // failed unpack lacked: forget the tag and collect them (an older image stays usable).
            await dropLayoutTag(ctx, key).catch(() => undefined);
          // umoci's own line ("unpack entry: usr/bin/perl: … short write: … no space left on
          // device") buries what happened and what is left.
          if (/no space left on device/i.test(errorMessage(err))) {
            throw new RackerError(`no space left on device in ${ctx.paths.lib}: ${familiarString(ref)} did not fit, and nothing of it was kept`, { cause: err });
          }
          throw err;
        }
      }
      crashPoint('pull:stored');
      await retag(ctx, key, { id, repoDigest: digest, updated: ctx.clock().toISOString() });
      status(`Digest: ${digest}`);
      status(`Status: Downloaded newer image for ${familiarString(ref)}`);
      return { key, id, digest, updated: true };
    },
    { onWait: () => ctx.log.info(`Waiting for another pull of ${familiarString(ref)} to finish`) },
  );
}

async function copyIntoLayout(
  ctx: Context,
  source: ImageReference,
  tag: string,
  o: {
    tlsVerify: boolean;
    credentials?: { username: string; password: string };
    progress?: (line: string) => void;
    timeoutSeconds: number;
    meter?: { meter: Meter; layers: RemoteLayers };
    platform?: Platform;
  },
): Promise<void> {
  await Promise.all([fs.mkdir(ctx.paths.run, { recursive: true }), fs.mkdir(ctx.paths.lib, { recursive: true })]);
  const auth = o.credentials ? await writeTemporaryAuthFile(source.registry, o.credentials, ctx.paths.run) : undefined;
  const started: string[] = [];
  const backstopMs = o.timeoutSeconds * 1000 + 30_000;
  let t0 = 0;
  try {
    // skopeo updates index.json of the shared layout: one writer at a time.
    await withLock(ctx.paths.lock('oci-layout'), async () => {
      await removePartialBlobs(ctx.paths.oci);
      t0 = Date.now();
      const m = o.meter;
      const stop = m ? watch(m.meter, 'Downloading', m.layers.total, () => downloadedBytes(ctx.paths.oci, m.layers.layers)) : undefined;
      try {
        await ctx.run(
          copyToLayoutArgv(formatReference(source), ctx.paths.oci, tag, {
            tlsVerify: o.tlsVerify,
            ...(auth ? { authFile: auth.path } : {}),
            timeoutSeconds: o.timeoutSeconds,
            ...(o.platform ? { platform: o.platform } : {}),
          }),
          {
            onLine: (line) => progressLine(line, started, o.progress),
            // Only a backstop: skopeo's own --command-timeout ends it cleanly before this.
            timeoutMs: backstopMs,
          },
        );
        stop?.(true);
      } catch (err) {
        stop?.(false);
        await removePartialBlobs(ctx.paths.oci);
        throw err;
      }
    });
  } catch (err) {
    if (err instanceof CommandError && parseSkopeoError(err.stderr).kind === 'no-platform') {
      throw await noSuchPlatform(ctx, source, o);
    }
    if (err instanceof CommandError) {
      const killedByBackstop = err.signal === 'SIGTERM' && Date.now() - t0 >= backstopMs;
      throw skopeoFailure(err, source, { timeoutSeconds: o.timeoutSeconds, killedByBackstop });
    }
    throw err;
  } finally {
    await auth?.dispose();
  }
  for (const id of started) o.progress?.(`${id}: Pull complete`);
}

/** The index lacks the platform asked for (or the host's): one line naming the ones it has. */
async function noSuchPlatform(ctx: Context, source: ImageReference, o: { tlsVerify: boolean; credentials?: { username: string; password: string }; platform?: Platform }): Promise<Error> {
  const want = formatPlatform(o.platform ?? hostPlatform());
  const has = await remotePlatforms(source, { tlsVerify: o.tlsVerify, credentials: o.credentials, log: ctx.log }).catch(() => undefined);
  return new NotFoundError(
    `image ${formatReference(source)} has no ${want} platform${has?.length ? `; it has ${has.join(', ')}` : ''}`,
    o.platform ? {} : { hint: `pull another with --platform` },
  );
}

/**
 * skopeo streams each blob into an "oci-put-blob*" file at the top of the layout and renames it
 * into blobs/ once its digest checks out. A skopeo killed by a signal leaves that file behind;
 * with the oci-layout lock held, no other copy is writing, so any such file is garbage.
 */
async function removePartialBlobs(layout: string): Promise<void> {
  const names = await fs.readdir(layout).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('oci-put-blob')).map((n) => fs.rm(path.join(layout, n), { force: true })));
}

/**
 * skopeo's "Copying blob sha256:…" lines, in docker's shape. Without a terminal skopeo prints
 * them when a blob starts, so "Pull complete" waits until the whole copy has succeeded.
 */
function progressLine(line: string, started: string[], progress?: (line: string) => void): void {
  const m = /^Copying blob (?:sha256:)?([a-f0-9]{12})[a-f0-9]*(.*)$/.exec(line.trim());
  if (!m || !progress) return;
  if (/skipped|already exists/.test(m[2] ?? '')) return progress(`${m[1]}: Already exists`);
  started.push(m[1]!);
  progress(`${m[1]}: Pulling fs layer`);
}

/** A failed skopeo copy as one line saying what the registry did (exported for unit tests). */
export function skopeoFailure(
  err: CommandError,
  source: ImageReference,
  { timeoutSeconds, killedByBackstop = false }: { timeoutSeconds: number; killedByBackstop?: boolean },
): Error {
  const shown = formatReference(source);
  const registry = source.registry;
  // Our backstop timer means the same as skopeo's own deadline.
  const failure = killedByBackstop ? { kind: 'timeout' as const } : parseSkopeoError(err.stderr);
  switch (failure.kind) {
    case 'not-found':
      return new NotFoundError(`manifest for ${shown} not found: manifest unknown`);
    case 'unauthorized':
      return new RegistryError(`unauthorized: access to ${shown} was denied`, { hint: `run: racker login ${registry}` });
    case 'tls':
      return new RegistryError(`TLS verification failed for ${registry}`, { hint: tlsHint(registry) });
    case 'unreachable':
      return new RegistryUnreachableError(`cannot reach registry ${registry}`);
    case 'timeout':
      return new RegistryError(`registry ${registry} did not finish sending ${shown} within ${timeoutSeconds} s`, {
        hint: `set ${PULL_TIMEOUT_ENV}=SECONDS to allow longer`,
      });
    case 'corrupt':
      return new RegistryError(
        failure.expected
          ? `registry ${registry} sent a corrupt blob for ${shown}: expected ${failure.expected}, got ${failure.actual}`
          : `registry ${registry} sent a corrupt blob for ${shown}: its size does not match the manifest`,
      );
    case 'interrupted':
      return new RegistryError(`registry ${registry} closed the connection before a blob of ${shown} was complete`);
    case 'server-error':
      return new RegistryError(`registry ${registry} answered ${failure.status} while sending ${shown}`);
    default:
      return err;
  }
}

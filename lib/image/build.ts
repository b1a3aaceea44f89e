/**
 * racker build: a Containerfile/Dockerfile built by buildah (lib/tools/buildah.ts), the
 * result stored like a pulled image.
 *
 * 1. The images the file builds on are found in racker's store (pulled by racker when
 *    missing, with its credentials and registry rules) and copied into buildah's own storage
 *    (lib/buildah, run/buildah) from a scratch OCI layout of hard links to the store's blobs,
 *    under the names the file uses, once: a base buildah has (by racker's ID or the
 *    localhost/racker-base-<ID> name) only gets its names, and not even that when it has them.
 *    buildah never pulls by itself.
 * 2. `buildah bud` runs with its output streamed line by line; its layer cache lives on in
 *    its storage, as docker's does (--no-cache skips it).
 * 3. The new image's root filesystem goes into tmp/ and is renamed into images/ with the
 *    image's config; only then are the tags set. A failed or interrupted build stores
 *    nothing. When buildah's records say which layers the build added on top of a base
 *    racker has (lib/image/buildah-layers.ts), the rootfs is the base's, hard-linked, with
 *    what those layers change applied (lib/image/apply-layers.ts): a one-line build copies
 *    one file, not the image. Otherwise it is copied whole out of a buildah mount.
 * Builds take turns (the `buildah` lock): buildah's storage is racker's alone, and a
 * leftover working container is then known to be nobody's.
 */
import { existsSync, lstatSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { NotFoundError, RackerError, UsageError } from '../errors.js';
import { emit } from '../events/log.js';
import { withLock } from '../state/lock.js';
import { copyTreeArgv, linkTreeArgv } from '../tools/cp.js';
import { overlayReadonlyArgv, umountArgv } from '../tools/mount.js';
import { applyLayers } from './apply-layers.js';
import { hasWorkingContainers, layersAbove, storageOverlayOptions, storedConfig, storedNames } from './buildah-layers.js';
import { budArgv, fromArgv, inspectImageArgv, mountArgv, copyToStorageArgv, rmAllArgv, rmArgv, tagArgv, type BuildahStorage } from '../tools/buildah.js';
import { baseImages, defaultContainerfile } from './containerfile.js';
import { blobFile, imageSource } from './layout-store.js';
import { isLabelKey, resolveImageInput, resolveImageName } from './names.js';
import { parseImageConfig } from './oci-layout.js';
import { cleanScratch } from './scratch.js';
import { commitImage, findImage, hasSystemd, imageExists, retag, scratchDir, treeSize, type ImageRecord } from './store.js';

export interface BuildOptions {
  /** The context directory. */
  context: string;
  /** -f: the Containerfile (relative to the working directory, as docker and buildah take it). */
  file?: string;
  /** -t names. */
  tags?: readonly string[];
  buildArgs?: readonly string[];
  noCache?: boolean;
  quiet?: boolean;
  /** --pull: pull the base images even when racker has them. */
  pull?: boolean;
  target?: string;
  /** Each line of the builder's output (stdout and stderr), as it comes. */
  output?: (line: string) => void;
  /** racker's own progress lines (base images pulled). */
  status?: (line: string) => void;
  signal?: AbortSignal;
}

export function buildahStorage(ctx: Context): BuildahStorage {
  return { root: path.join(ctx.paths.lib, 'buildah'), runroot: path.join(ctx.paths.run, 'buildah') };
}

/** -t NAME → the tag key; curated labels are racker's own names, not something a build may take. */
function tagKey(name: string): string {
  const resolved = resolveImageName(name);
  if (isLabelKey(resolved.key)) throw new UsageError(`${name} is the name of a curated label and cannot be a build's tag`);
  return resolved.key;
}

/** The image named in FROM, from racker's store; pulled as `racker run` would (or always with --pull). */
async function baseRecord(ctx: Context, name: string, opts: BuildOptions): Promise<ImageRecord> {
  const key = resolveImageInput(name).key;
  const pull = async () => {
    // Lazy for start-up: the registry and label code is needed only with --pull.
    const { pullImageByName } = await import('./pull-any.js');
    await pullImageByName(ctx, name, opts.status ? { status: opts.status, progress: opts.status } : {});
  };
  if (opts.pull && key) await pull();
  try {
    return (await findImage(ctx.paths, key, name)).record;
  } catch (err) {
    if (!(err instanceof NotFoundError) || !key) throw err;
  }
  await pull();
  return (await findImage(ctx.paths, key, name)).record;
}

/** The names buildah may look the base up by: as written, and fully qualified. */
function buildahNames(name: string): string[] {
  const names = new Set<string>();
  try {
    const r = resolveImageName(name);
    names.add(r.kind === 'label' ? `localhost/${r.label.name}:latest` : r.key);
  } catch {
    return []; // an image ID: buildah finds it by its ID
  }
  if (!name.includes('/')) names.add(`localhost/${name.includes(':') || name.includes('@') ? name : `${name}:latest`}`);
  return [...names];
}

/** The name a base racker gave buildah is also kept under: its racker ID, which for a label or an import (a config made from the rootfs) is not buildah's. */
function baseKeyName(record: ImageRecord): string {
  return `localhost/racker-base-${record.id.replace(/^sha256:/, '')}:latest`;
}

/** Put one base image into buildah's storage under its names. */
async function provideBase(ctx: Context, storage: BuildahStorage, name: string, record: ImageRecord, scratch: string, n: number): Promise<void> {
  const names = [baseKeyName(record), ...buildahNames(name)];
  // Already there (a base given before, or an image this storage built): only the names are
  // set, in one buildah run, which fails when the image is not there. By racker's ID (the
  // config digest, buildah's ID too for a pulled or built image), else by the key name.
  const stored = storedNames(storage.root, record.id, names[0]);
  if (stored && names.every((n) => stored.includes(n))) return;
  for (const ref of [record.id, names[0]!]) if ((await ctx.run(tagArgv(storage, ref, names), { reject: false })).exitCode === 0) return;
  const src = await imageSource(ctx, record, scratch);
  const layout = path.join(scratch, `base-${n}`);
  await fs.mkdir(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  await fs.writeFile(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const link = async (digest: string, file: string) => {
    const target = blobFile(layout, digest);
    if (existsSync(target)) return;
    // Hard links: the store's blobs are not copied (same filesystem: tmp/ is next to oci/).
    await fs.link(file, target).catch(() => fs.copyFile(file, target));
  };
  for (const l of src.layers) await link(l.digest, l.file);
  await fs.writeFile(blobFile(layout, src.config.digest), src.config.bytes);
  await fs.writeFile(blobFile(layout, src.manifest.digest), src.manifest.bytes);
  await fs.writeFile(
    path.join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: src.manifest.mediaType, digest: src.manifest.digest, size: src.manifest.size, annotations: { 'org.opencontainers.image.ref.name': 'base' } }] }),
  );
  await ctx.run(copyToStorageArgv(storage, layout, 'base', names[0]!));
  if (names.length > 1) await ctx.run(tagArgv(storage, names[0]!, names.slice(1)));
}

/** docker: the context must be a directory (or, there, a URL or tar on stdin; not racker's). */
function checkContext(dir: string): string {
  const abs = path.resolve(dir);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
  }
  if (!st.isDirectory()) throw new UsageError(`unable to prepare context: ${JSON.stringify(dir)} is not a directory`);
  return abs;
}

export async function buildImage(ctx: Context, o: BuildOptions): Promise<string> {
  const keys = (o.tags ?? []).map(tagKey);
  const context = checkContext(o.context);
  const file = o.file !== undefined ? path.resolve(o.file) : defaultContainerfile(context);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`the Containerfile (${o.file ?? file}) cannot be read: no such file`);
  }
  const bases = baseImages(text, o.buildArgs ?? [], process.env);
  const storage = buildahStorage(ctx);
  await cleanScratch(ctx.paths, ctx.run);
  // Builds take turns in buildah's storage, so whatever working container is there when one
  // begins or is interrupted is a leftover (of a killed build) and can go. Looked for in
  // storage's record first: `buildah rm --all` costs a buildah run each build.
  return withLock(ctx.paths.lock('buildah'), async () => {
    if (hasWorkingContainers(storage.root) !== false) await ctx.run(rmAllArgv(storage), { reject: false });
    try {
      return await buildLocked(ctx, o, storage, bases, context, file, keys);
    } finally {
      if (o.signal?.aborted) await ctx.run(rmAllArgv(storage), { reject: false });
    }
  });
}

/** A base's rootfs a built image can share files with: a directory of racker's own (not a source run in place, whose files are the user's). */
function linkableRootfs(ctx: Context, record: ImageRecord): string | undefined {
  const rootfs = ctx.paths.imageRootfs(record.id);
  try {
    return lstatSync(rootfs).isDirectory() ? rootfs : undefined;
  } catch {
    return undefined;
  }
}

const since = (t0: number) => `${Math.round(performance.now() - t0)} ms`;

async function buildLocked(ctx: Context, o: BuildOptions, storage: BuildahStorage, bases: readonly string[], context: string, file: string, keys: readonly string[]): Promise<string> {
  const scratch = await scratchDir(ctx.paths, 'build');
  try {
    const records: ImageRecord[] = [];
    for (const name of bases) {
      const record = await baseRecord(ctx, name, o);
      await provideBase(ctx, storage, name, record, scratch, records.length);
      records.push(record);
    }
    if (o.signal?.aborted) throw new RackerError('build interrupted', { exitCode: 130 });
    const iidfile = path.join(scratch, 'iid');
    const errors: string[] = [];
    const result = await ctx.run(
      budArgv(storage, { context, file, iidfile, ...(o.buildArgs ? { buildArgs: o.buildArgs } : {}), ...(o.noCache ? { noCache: true } : {}), ...(o.quiet ? { quiet: true } : {}), ...(o.target ? { target: o.target } : {}) }),
      {
        reject: false,
        ...(o.signal ? { signal: o.signal } : {}),
        onLine: (l) => o.output?.(l),
        // buildah's own failure ("Error: error building at STEP …") becomes racker's one line.
        onStderrLine: (l) => (/^Error: /.test(l) ? errors.push(l.slice('Error: '.length)) : o.output?.(l)),
      },
    );
    if (o.signal?.aborted) throw new RackerError('build interrupted', { exitCode: 130 });
    if (result.exitCode !== 0) throw new RackerError(errors.join('; ') || `buildah exited with status ${result.exitCode}`, { exitCode: 1 });
    const id = (await fs.readFile(iidfile, 'utf8')).trim();
    if (!/^sha256:[a-f0-9]{64}$/.test(id)) throw new RackerError(`buildah wrote no image ID (${JSON.stringify(id)})`);
    if (!imageExists(ctx.paths, id)) await storeBuilt(ctx, storage, id, records, scratch, o.signal);
    const now = ctx.clock().toISOString();
    for (const key of keys) await retag(ctx, key, { id, updated: now });
    emit(ctx, { type: 'image', action: 'build', id, attributes: { name: o.tags?.[0] ?? id } });
    return id;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Copy the built image out of buildah's storage into a new image directory: as its base's
 * files (hard links) plus what the new layers changed when buildah's records say which
 * layers those are, else the whole tree from a buildah mount.
 */
async function storeBuilt(ctx: Context, storage: BuildahStorage, id: string, bases: readonly ImageRecord[], scratch: string, signal?: AbortSignal): Promise<void> {
  // The config buildah stored (checked against its digest, the ID), else as buildah inspect shows it.
  const stored = storedConfig(storage.root, id);
  const oci = stored ? (JSON.parse(stored.toString('utf8')) as Record<string, unknown>) : ((JSON.parse((await ctx.run(inspectImageArgv(storage, id))).stdout) as { OCIv1?: Record<string, unknown> }).OCIv1 ?? {});
  const describe = (rootfs: string, size: number): ImageRecord => ({
    id,
    ...(typeof oci.created === 'string' ? { created: oci.created } : {}),
    size,
    ...(typeof oci.architecture === 'string' ? { architecture: oci.architecture } : {}),
    ...(typeof oci.os === 'string' ? { os: oci.os } : {}),
    config: parseImageConfig(oci.config),
    origin: { kind: 'build', builder: 'buildah' },
    systemd: hasSystemd(rootfs),
  });
  if (await storeOnBase(ctx, storage, id, bases, scratch, describe, signal)) return;
  ctx.log.debug('the built image is copied whole (its layers above a base are not known)');
  const container = (await ctx.run(fromArgv(storage, id))).stdout.trim().split('\n').pop()!.trim();
  const dir = await scratchDir(ctx.paths, 'built');
  try {
    const mount = (await ctx.run(mountArgv(storage, container))).stdout.trim();
    const rootfs = path.join(dir, 'rootfs');
    await ctx.run(copyTreeArgv(mount, rootfs));
    await commitImage(ctx.paths, dir, describe(rootfs, await treeSize(rootfs)));
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    // rm unmounts too.
    await ctx.run(rmArgv(storage, container), { reject: false });
  }
}

/**
 * The built image stored as its base's rootfs (hard links) plus what the layers above the
 * base change; false when that cannot be done (layers unknown, a base whose files are not
 * racker's own, a link refused) and the whole copy is the way.
 */
async function storeOnBase(
  ctx: Context,
  storage: BuildahStorage,
  id: string,
  bases: readonly ImageRecord[],
  scratch: string,
  describe: (rootfs: string, size: number) => ImageRecord,
  signal?: AbortSignal,
): Promise<boolean> {
  const above = layersAbove(
    storage.root,
    id,
    bases.map((b) => ({ id: b.id, name: baseKeyName(b) })),
  );
  const base = above ? bases[above.base] : undefined;
  const baseRootfs = base ? linkableRootfs(ctx, base) : undefined;
  if (!above || !base || !baseRootfs || storageOverlayOptions()) return false;
  const lower = [...above.diffs, baseRootfs];
  // The kernel takes one page of mount options.
  if (lower.join(':').length > 3500) return false;
  const t0 = performance.now();
  const dir = await scratchDir(ctx.paths, 'built');
  const rootfs = path.join(dir, 'rootfs');
  let size = base.size;
  try {
    // Tried: linking while buildah builds (the base is known up front). Slower on two cores:
    // buildah's commit syncs the filesystem, cp's metadata writes included (doc/performance.md).
    await ctx.run(linkTreeArgv(baseRootfs, rootfs), signal ? { signal } : {});
    if (above.diffs.length) {
      const merged = path.join(scratch, 'merged');
      await fs.mkdir(merged);
      await ctx.run(overlayReadonlyArgv(lower, merged));
      try {
        const r = await applyLayers(ctx, merged, above.diffs, rootfs);
        size += r.added - r.removed;
        ctx.log.debug(`${above.diffs.length} new layer(s) applied on the base's rootfs in ${since(t0)}: ${r.touched} paths, +${r.added} -${r.removed} bytes`);
      } finally {
        await ctx.run(umountArgv(merged), { reject: false });
        await fs.rmdir(merged).catch(() => undefined);
      }
    }
    // The base removed meanwhile (rmi renames an image away before deleting it): what was
    // read of it may be half gone.
    if (linkableRootfs(ctx, base) !== baseRootfs) throw new RackerError('the base image was removed during the build');
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    if (signal?.aborted) throw new RackerError('build interrupted', { exitCode: 130 });
    // A file linked too often (ext4: 65000 links), the base removed meanwhile, …: the whole
    // copy out of buildah does not depend on racker's base.
    ctx.log.debug(`storing the build on its base failed (${err instanceof Error ? err.message : String(err)})`);
    return false;
  }
  try {
    await commitImage(ctx.paths, dir, describe(rootfs, size));
    return true;
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

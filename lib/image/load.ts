/**
 * racker load / POST /images/load: a `docker save` archive (docker-archive, legacy or
 * docker 25's OCI-based one) or an OCI image archive → images in the store with their names.
 *
 * The whole archive is read into tmp/ first, every entry name checked (nothing absolute,
 * nothing climbing out, links only to other entries, only files and directories), every
 * blob's digest checked; only then does anything go into the store. A truncated or hostile
 * archive fails with one line and leaves nothing. Layers are then unpacked by umoci, as a
 * pull's are.
 */
import { createHash } from '../startup/builtins.js';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import type { Context } from '../context.js';
import { RackerError, UsageError, errorMessage } from '../errors.js';
import { withLock } from '../state/lock.js';
import { gcArgv, removeTagArgv, unpackArgv } from '../tools/umoci.js';
import { MEDIA, archiveEntryName, archiveLinkTarget, ociManifest, parseDockerManifest, type ArchiveBlob } from './archive.js';
import { detectCompression } from './extract.js';
import { addToLayout, digestFile, idTag } from './layout-store.js';
import { isLabelKey, resolveImageName } from './names.js';
import { layoutTag, parseImageConfig } from './oci-layout.js';
import { cleanScratch } from './scratch.js';
import { commitImage, hasSystemd, imageExists, retag, scratchDir, treeSize, type ImageOrigin } from './store.js';
import { emit } from '../events/log.js';

/** The archive as read: entry name → file in tmp/ (links resolved to their targets' files). */
class ArchiveFiles {
  private readonly files = new Map<string, string>();
  private readonly links = new Map<string, string>();
  constructor(readonly dir: string) {}
  addFile(name: string, file: string): void {
    this.files.set(name, file);
  }
  addLink(name: string, target: string): void {
    this.links.set(name, target);
  }
  has(name: string): boolean {
    return this.file(name) !== undefined;
  }
  file(name: string): string | undefined {
    let n = name;
    for (let hops = 0; hops < 16; hops++) {
      const f = this.files.get(n);
      if (f) return f;
      const next = this.links.get(n);
      if (next === undefined) return undefined;
      n = next;
    }
    return undefined;
  }
  need(name: string): string {
    const f = this.file(name);
    if (!f) throw new RackerError(`invalid archive: ${name} is missing`);
    return f;
  }
  async json(name: string): Promise<{ bytes: Buffer; value: unknown }> {
    const bytes = await fs.readFile(this.need(name));
    try {
      return { bytes, value: JSON.parse(bytes.toString('utf8')) };
    } catch {
      throw new RackerError(`invalid archive: ${name} is not JSON`);
    }
  }
}

/** Read the tar stream into dir, checking every entry (see the top of this file). */
async function readArchive(input: Readable, dir: string): Promise<ArchiveFiles> {
  const files = new ArchiveFiles(dir);
  let n = 0;
  let failure: Error | undefined;
  const parser = new Parser({ strict: true });
  const writes: Promise<void>[] = [];
  const fail = (err: Error) => {
    failure ??= err;
  };
  parser.on('entry', (entry: ReadEntry) => {
    try {
      if (failure) return entry.resume();
      const name = archiveEntryName(entry.path);
      switch (entry.type) {
        case 'Directory':
          entry.resume();
          return;
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          const file = path.join(dir, `f${n++}`);
          files.addFile(name, file);
          const expected = entry.size ?? 0;
          const sink = createWriteStream(file);
          writes.push(
            pipeline(entry, sink)
              .then(() => {
                // node-tar ends an entry cut off at a block boundary without a word: count.
                if (sink.bytesWritten !== expected) fail(new RackerError(`invalid archive: Truncated input (${entry.path} has ${sink.bytesWritten} of its ${expected} bytes)`));
              })
              .catch(fail),
          );
          return;
        }
        case 'SymbolicLink':
          files.addLink(name, archiveLinkTarget(name, entry.linkpath ?? ''));
          entry.resume();
          return;
        case 'Link':
          files.addLink(name, archiveEntryName(entry.linkpath ?? ''));
          entry.resume();
          return;
        default:
          throw new RackerError(`invalid archive: entry ${JSON.stringify(entry.path)} is a ${entry.type}, not a file`);
      }
    } catch (err) {
      fail(err as Error);
      entry.resume();
    }
  });
  try {
    await pipeline(input, parser);
  } catch (err) {
    fail(new RackerError(`invalid archive: ${errorMessage(err).replace(/^TAR_[A-Z_]+: /, '')}`));
  }
  await Promise.all(writes);
  if (failure) throw failure;
  return files;
}

interface Found {
  config: { bytes: Buffer; digest: string; value: Record<string, unknown> };
  layers: (ArchiveBlob & { file: string })[];
  names: string[];
  /** Every name the archive gives it, bare OCI ref.names ("latest") too: what `oci-archive:PATH:REF` matches. */
  refs: string[];
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function layerBlob(file: string): Promise<ArchiveBlob & { file: string }> {
  const head = Buffer.alloc(8);
  const fh = await fs.open(file);
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression !== 'none' && compression !== 'gzip') throw new RackerError(`invalid archive: a layer is ${compression}-compressed (racker loads plain and gzip layers)`);
  return { ...(await digestFile(file)), mediaType: compression === 'gzip' ? MEDIA.layerGzip : MEDIA.layer, file };
}

function configObject(bytes: Buffer, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RackerError(`invalid archive: image config ${where} is not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RackerError(`invalid archive: image config ${where} is not an object`);
  return v as Record<string, unknown>;
}

/** The images of the archive, every referenced file present and every digest checked. */
async function findImages(files: ArchiveFiles): Promise<Found[]> {
  if (files.has('manifest.json')) {
    const entries = parseDockerManifest((await fs.readFile(files.need('manifest.json'))).toString('utf8'));
    const out: Found[] = [];
    for (const e of entries) {
      const bytes = await fs.readFile(files.need(e.config));
      const layers = [];
      for (const l of e.layers) layers.push(await layerBlob(files.need(l)));
      out.push({ config: { bytes, digest: sha256(bytes), value: configObject(bytes, e.config) }, layers, names: e.repoTags, refs: e.repoTags });
    }
    return out;
  }
  if (files.has('index.json')) {
    const { value } = await files.json('index.json');
    const manifests = (value as { manifests?: unknown }).manifests;
    if (!Array.isArray(manifests) || !manifests.length) throw new RackerError('invalid archive: index.json lists no image');
    const blob = async (digest: unknown) => {
      if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new RackerError(`invalid archive: bad digest ${JSON.stringify(digest)}`);
      const file = files.need(`blobs/sha256/${digest.slice(7)}`);
      if ((await digestFile(file)).digest !== digest) throw new RackerError(`invalid archive: blob ${digest} does not match its digest`);
      return file;
    };
    const byManifest = new Map<string, Found>();
    for (const raw of manifests) {
      const d = (raw ?? {}) as { digest?: unknown; mediaType?: unknown; annotations?: Record<string, unknown> };
      const mfile = await blob(d.digest);
      const m = configObject(await fs.readFile(mfile), String(d.digest)) as { config?: { digest?: unknown }; layers?: { digest?: unknown }[] };
      if (!m.config || !Array.isArray(m.layers)) throw new RackerError('invalid archive: index.json names something that is not an image manifest (multi-platform archives are not supported)');
      let found = byManifest.get(String(d.digest));
      if (!found) {
        const bytes = await fs.readFile(await blob(m.config.digest));
        const layers = [];
        for (const l of m.layers) layers.push(await layerBlob(await blob(l.digest)));
        found = { config: { bytes, digest: sha256(bytes), value: configObject(bytes, String(m.config.digest)) }, layers, names: [], refs: [] };
        byManifest.set(String(d.digest), found);
      }
      const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
      if (typeof name === 'string') found.refs.push(name);
      // A bare ref.name ("latest") is no image name: only full references become tags.
      if (typeof name === 'string' && /[/:]/.test(name)) found.names.push(name);
    }
    return [...byManifest.values()];
  }
  throw new RackerError('invalid archive: it has neither manifest.json nor index.json (is it a docker save or OCI archive?)');
}

function tagKeys(names: readonly string[]): string[] {
  return names.map((n) => {
    const resolved = (() => {
      try {
        return resolveImageName(n);
      } catch {
        throw new RackerError(`invalid archive: ${JSON.stringify(n)} is not a valid image name`);
      }
    })();
    if (isLabelKey(resolved.key)) throw new UsageError(`invalid archive: ${n} is the name of a curated label`);
    return resolved.key;
  });
}

export interface LoadedImage {
  id: string;
  /** The names as given in the archive. */
  names: string[];
}

/**
 * Run from an archive (from-source.ts): choose one of the archive's images and the one tag
 * key it gets, instead of loading all of them under their own names. Throwing stores nothing.
 */
export type PickImage = (images: readonly { names: readonly string[]; refs: readonly string[] }[]) => { index: number; key: string };

export async function loadImages(ctx: Context, input: Readable, pick?: PickImage): Promise<LoadedImage[]> {
  await cleanScratch(ctx.paths);
  const dir = await scratchDir(ctx.paths, 'load');
  try {
    const files = await readArchive(input, dir);
    const all = await findImages(files);
    const picked = pick?.(all);
    const images = picked ? [all[picked.index]!] : all;
    const plan = images.map((img) => {
      const diffIds = (img.config.value.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
      if (!Array.isArray(diffIds) || diffIds.length !== img.layers.length) {
        throw new RackerError(`invalid archive: image ${img.config.digest} lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} layers in its config and has ${img.layers.length}`);
      }
      return { img, keys: picked ? [picked.key] : tagKeys(img.names) };
    });
    const loaded: LoadedImage[] = [];
    for (const { img, keys } of plan) {
      const id = img.config.digest;
      const config: ArchiveBlob = { digest: id, size: img.config.bytes.length, mediaType: MEDIA.config };
      const manifestBytes = Buffer.from(JSON.stringify(ociManifest(config, img.layers)));
      const manifest: ArchiveBlob = { digest: sha256(manifestBytes), size: manifestBytes.length, mediaType: MEDIA.manifest };
      await addToLayout(
        ctx,
        [{ digest: id, bytes: img.config.bytes }, ...img.layers.map((l) => ({ digest: l.digest, file: l.file })), { digest: manifest.digest, bytes: manifestBytes }],
        manifest,
        [idTag(id), ...keys.map(layoutTag)],
      );
      const layoutTags = [idTag(id), ...keys.map(layoutTag)];
      if (!imageExists(ctx.paths, id)) {
        await unpackInto(ctx, id, img.config.value).catch(async (err: unknown) => {
          await forgetLayoutTags(ctx, layoutTags).catch(() => undefined);
          throw err;
        });
      }
      const now = ctx.clock().toISOString();
      for (const key of keys) await retag(ctx, key, { id, updated: now });
      loaded.push({ id, names: img.names });
      emit(ctx, { type: 'image', action: 'load', id, attributes: { name: img.names[0] ?? id } });
    }
    return loaded;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Take back what addToLayout added for an image that could not be unpacked. */
export async function forgetLayoutTags(ctx: Context, tags: readonly string[]): Promise<void> {
  await withLock(ctx.paths.lock('oci-layout'), async () => {
    for (const t of tags) await ctx.run(removeTagArgv(ctx.paths.oci, t), { reject: false });
    await ctx.run(gcArgv(ctx.paths.oci));
  });
}

/** umoci unpack of the image's layout tag into a new image directory (like a pull's). */
export async function unpackInto(ctx: Context, id: string, config: Record<string, unknown>, origin: ImageOrigin = { kind: 'load' }): Promise<void> {
  const dir = await scratchDir(ctx.paths, 'unpack');
  try {
    await ctx.run(unpackArgv(ctx.paths.oci, idTag(id), path.join(dir, 'bundle')));
    await fs.rename(path.join(dir, 'bundle', 'rootfs'), path.join(dir, 'rootfs'));
    await fs.rm(path.join(dir, 'bundle'), { recursive: true, force: true });
    const rootfs = path.join(dir, 'rootfs');
    await commitImage(ctx.paths, dir, {
      id,
      ...(typeof config.created === 'string' ? { created: config.created } : {}),
      size: await treeSize(rootfs),
      ...(typeof config.architecture === 'string' ? { architecture: config.architecture } : {}),
      ...(typeof config.os === 'string' ? { os: config.os } : {}),
      config: parseImageConfig(config.config),
      origin,
      systemd: hasSystemd(rootfs),
    });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** docker's lines: "Loaded image: NAME" per name, "Loaded image ID: sha256:…" for an unnamed image. */
export function loadedLines(images: readonly LoadedImage[]): string[] {
  return images.flatMap((i) => (i.names.length ? i.names.map((n) => `Loaded image: ${n}`) : [`Loaded image ID: ${i.id}`]));
}

/**
 * racker save / GET /images/get: images as one tar stream that `docker load` (any version)
 * and OCI tools read (see archive.ts). Blobs are streamed from the store's layout; an image
 * without layers there is tarred from its root filesystem into tmp/ first. Nothing is held
 * in memory but the small JSON files.
 */
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Context } from '../context.js';
import { archiveIndex, blobName, dockerManifest, repositoriesFile, type ArchiveImage } from './archive.js';
import { imageSource, type ImageSource } from './layout-store.js';
import { displayName, displayString, keyOrNothing } from './names.js';
import { cleanScratch } from './scratch.js';
import { findImage, readTags, scratchDir, type ImageRecord } from './store.js';
import { TarWriter } from './tar-writer.js';
import { emit } from '../events/log.js';

interface Wanted {
  record: ImageRecord;
  /** Tag keys to name in the archive. */
  keys: string[];
}

/** Each name → its image; names of one image are merged (docker saves an image once with all the names asked for). */
export async function resolveForSave(ctx: Context, names: readonly string[]): Promise<Wanted[]> {
  const out = new Map<string, Wanted>();
  const tags = await readTags(ctx.paths);
  for (const name of names) {
    const key = keyOrNothing(name);
    const { record, tagKey } = await findImage(ctx.paths, key, name);
    const w = out.get(record.id) ?? { record, keys: [] };
    out.set(record.id, w);
    // A name without a tag names every tag of that repository, as in docker.
    const repoOnly = key && !tagKey && !/[:@]/.test(name.split('/').pop() ?? '');
    const chosen = tagKey ? [tagKey] : repoOnly ? Object.keys(tags).filter((k) => tags[k]!.id === record.id && displayName(k).repository === name) : [];
    for (const k of chosen) if (!w.keys.includes(k) && displayName(k).tag !== '<none>') w.keys.push(k);
  }
  return [...out.values()];
}

/** Write the archive of `names` to `out` (not ended here). Names are checked before the first byte. */
export async function saveImages(ctx: Context, names: readonly string[], out: Writable, opts: { beforeFirstByte?: () => void } = {}): Promise<void> {
  const wanted = await resolveForSave(ctx, names);
  await cleanScratch(ctx.paths);
  const scratch = await scratchDir(ctx.paths, 'save');
  try {
    const sources: { w: Wanted; src: ImageSource }[] = [];
    for (const w of wanted) sources.push({ w, src: await imageSource(ctx, w.record, scratch) });
    opts.beforeFirstByte?.();
    const tar = new TarWriter(out);
    const mtime = new Date(0);
    await tar.add({ path: 'blobs', type: 'Directory', mode: 0o755, mtime });
    await tar.add({ path: 'blobs/sha256', type: 'Directory', mode: 0o755, mtime });
    const written = new Set<string>();
    const images: ArchiveImage[] = [];
    for (const { w, src } of sources) {
      for (const layer of src.layers) {
        if (written.has(layer.digest)) continue;
        written.add(layer.digest);
        const size = (await fs.stat(layer.file)).size;
        await tar.addFile({ path: blobName(layer.digest), type: 'File', mode: 0o644, size, mtime }, layer.file);
      }
      for (const b of [src.config, src.manifest]) {
        if (written.has(b.digest)) continue;
        written.add(b.digest);
        await tar.add({ path: blobName(b.digest), type: 'File', mode: 0o644, mtime }, b.bytes);
      }
      images.push({ config: src.config, manifest: src.manifest, layers: src.layers, repoTags: w.keys.map(displayString) });
    }
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const byFamiliar = new Map(wanted.flatMap((w) => w.keys.map((k) => [displayString(k), k] as const)));
    await tar.add({ path: 'index.json', type: 'File', mode: 0o644, mtime }, json(archiveIndex(images, (f) => byFamiliar.get(f) ?? f)));
    await tar.add({ path: 'manifest.json', type: 'File', mode: 0o644, mtime }, json(dockerManifest(images)));
    await tar.add({ path: 'oci-layout', type: 'File', mode: 0o644, mtime }, json({ imageLayoutVersion: '1.0.0' }));
    await tar.add({ path: 'repositories', type: 'File', mode: 0o644, mtime }, json(repositoriesFile(images)));
    await tar.finish();
    for (const w of wanted) emit(ctx, { type: 'image', action: 'save', id: w.record.id, attributes: { name: w.keys[0] ? displayString(w.keys[0]) : w.record.id } });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

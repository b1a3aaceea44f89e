/**
 * Images as OCI manifests in the shared layout, for the verbs that need layers (save,
 * history, commit, load): what a pull stored, found by its config digest; written by load
 * and commit (blobs moved in and index.json updated under the oci-layout lock, so a
 * concurrent `umoci gc` never sees blobs without their index entry).
 */
import { createHash } from '../startup/builtins.js';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { rootfsLayerArgv } from '../tools/tar.js';
import { MEDIA, ociManifest, type ArchiveBlob } from './archive.js';
import type { ImageRecord } from './store.js';

interface IndexEntry {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
}

const REF = 'org.opencontainers.image.ref.name';

export function blobFile(layout: string, digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new RackerError(`unexpected digest ${JSON.stringify(digest)}`);
  return path.join(layout, 'blobs', 'sha256', m[1]!);
}

/** The layout tag under which racker keeps a loaded or committed image's blobs, whatever its names. */
export function idTag(id: string): string {
  return `id-${id.replace(/^sha256:/, '')}`;
}

export async function digestFile(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const counted = createReadStream(file);
  counted.on('data', (b) => (size += b.length));
  await pipeline(counted, hash);
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** What save and history need of an image: its config and layers, as files. */
export interface ImageSource {
  config: ArchiveBlob & { bytes: Buffer };
  manifest: ArchiveBlob & { bytes: Buffer };
  layers: (ArchiveBlob & { file: string })[];
  /** Read from the store's layout, or made from the root filesystem just now. */
  synthesized: boolean;
}

/** The manifest in the shared layout whose config is `configDigest` (the image ID), if any. */
export async function findInLayout(layout: string, configDigest: string): Promise<ImageSource | undefined> {
  const index = await readJson<{ manifests?: IndexEntry[] }>(path.join(layout, 'index.json'), { manifests: [] });
  const seen = new Set<string>();
  for (const entry of index.manifests ?? []) {
    if (!entry.digest || seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    let manifest: { config?: ArchiveBlob; layers?: ArchiveBlob[] };
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(blobFile(layout, entry.digest));
      manifest = JSON.parse(bytes.toString('utf8')) as typeof manifest;
    } catch {
      continue; // an index (multi-platform) or a blob gc took: not this one
    }
    if (manifest.config?.digest !== configDigest || !Array.isArray(manifest.layers)) continue;
    const layers = manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, file: blobFile(layout, l.digest) }));
    if (!layers.every((l) => existsSync(l.file))) continue;
    const config = await fs.readFile(blobFile(layout, configDigest));
    return {
      config: { digest: configDigest, size: config.length, mediaType: MEDIA.config, bytes: config },
      manifest: { digest: entry.digest, size: bytes.length, mediaType: MEDIA.manifest, bytes },
      layers,
      synthesized: false,
    };
  }
  return undefined;
}

/** A config for an image that has only its root filesystem (import, labels): one layer, one history step. */
export function synthesizedConfig(record: ImageRecord, diffId: string): Record<string, unknown> {
  const origin = record.origin;
  const createdBy =
    origin.kind === 'import'
      ? `racker import ${origin.source}`
      : origin.kind === 'label'
        ? `racker label ${origin.label} (${origin.via}${origin.base ? ` from ${origin.base}` : ''})`
        : origin.kind === 'registry'
          ? `racker pull ${origin.reference}`
          : `racker ${origin.kind}`;
  return {
    ...(record.created ? { created: record.created } : {}),
    architecture: record.architecture ?? 'amd64',
    os: record.os ?? 'linux',
    config: record.config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ ...(record.created ? { created: record.created } : {}), created_by: createdBy }],
  };
}

/**
 * The image's config and layers: from the layout when a manifest there has its ID as config,
 * else one layer tarred from its root filesystem into `scratch` (the image ID then differs from
 * the config's digest: the archive's image gets a new ID where it is loaded).
 */
export async function imageSource(ctx: Context, record: ImageRecord, scratch: string): Promise<ImageSource> {
  const found = await findInLayout(ctx.paths.oci, record.id);
  if (found) return found;
  const file = path.join(scratch, `layer-${record.id.replace(/^sha256:/, '').slice(0, 16)}.tar`);
  await ctx.run(rootfsLayerArgv(ctx.paths.imageRootfs(record.id), file));
  const layer = { ...(await digestFile(file)), mediaType: MEDIA.layer, file };
  const configBytes = Buffer.from(JSON.stringify(synthesizedConfig(record, layer.digest)));
  const config = { digest: `sha256:${createHash('sha256').update(configBytes).digest('hex')}`, size: configBytes.length, mediaType: MEDIA.config, bytes: configBytes };
  const manifestBytes = Buffer.from(JSON.stringify(ociManifest(config, [layer])));
  const manifest = { digest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, size: manifestBytes.length, mediaType: MEDIA.manifest, bytes: manifestBytes };
  return { config, manifest, layers: [layer], synthesized: true };
}

/** A blob to put into the layout: its bytes, or a file in tmp/ to move there. */
export type NewBlob = { digest: string } & ({ bytes: Buffer } | { file: string });

/**
 * Put blobs into the shared layout and point `tags` (layout tag names) at `manifestDigest`,
 * replacing earlier entries of those names; one critical section with gc.
 */
export async function addToLayout(ctx: Context, blobs: readonly NewBlob[], manifest: ArchiveBlob, tags: readonly string[]): Promise<void> {
  const layout = ctx.paths.oci;
  await withLock(ctx.paths.lock('oci-layout'), async () => {
    await fs.mkdir(path.join(layout, 'blobs', 'sha256'), { recursive: true });
    if (!existsSync(path.join(layout, 'oci-layout'))) await writeJsonAtomic(path.join(layout, 'oci-layout'), { imageLayoutVersion: '1.0.0' });
    for (const b of blobs) {
      const target = blobFile(layout, b.digest);
      if (existsSync(target)) continue;
      if ('bytes' in b) await fs.writeFile(`${target}.tmp-${process.pid}`, b.bytes);
      else await fs.rename(b.file, `${target}.tmp-${process.pid}`).catch(() => fs.copyFile(b.file, `${target}.tmp-${process.pid}`));
      await fs.rename(`${target}.tmp-${process.pid}`, target);
    }
    const indexFile = path.join(layout, 'index.json');
    const index = await readJson<{ schemaVersion?: number; manifests?: IndexEntry[] }>(indexFile, { schemaVersion: 2, manifests: [] });
    const names = new Set(tags);
    const kept = (index.manifests ?? []).filter((m) => !names.has(m.annotations?.[REF] ?? ''));
    for (const t of tags) kept.push({ mediaType: MEDIA.manifest, digest: manifest.digest, size: manifest.size, annotations: { [REF]: t } });
    await writeJsonAtomic(indexFile, { ...index, schemaVersion: 2, manifests: kept });
  });
}

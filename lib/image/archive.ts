/**
 * The pure parts of `save`/`load` archives. racker writes what docker 25+ writes: an OCI
 * image layout (oci-layout, index.json, blobs/sha256/…) that is also a docker-archive
 * (manifest.json, repositories) whose paths point into blobs/. Older docker (20.10) and
 * docker-py read the manifest.json; OCI tools read the layout. racker reads both, and the
 * legacy docker-archive layout (<id>/layer.tar, <id>.json) too.
 */
import path from 'node:path';
import { RackerError } from '../errors.js';

/** A blob of the archive: descriptor fields and where it is. */
export interface ArchiveBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface ArchiveImage {
  /** Image config blob (its digest is the image ID). */
  config: ArchiveBlob;
  /** The OCI manifest blob for this image. */
  manifest: ArchiveBlob;
  layers: ArchiveBlob[];
  /** docker's familiar names ("busybox:latest", "127.0.0.1:5000/x:1"). */
  repoTags: string[];
}

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export function blobName(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new RackerError(`unexpected digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${m[1]}`;
}

/** The OCI manifest of an image: config and layers as descriptors. */
export function ociManifest(config: ArchiveBlob, layers: readonly ArchiveBlob[]): Record<string, unknown> {
  const desc = (b: ArchiveBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  return { schemaVersion: 2, mediaType: MEDIA.manifest, config: desc(config), layers: layers.map(desc) };
}

/** manifest.json: what `docker load` reads. */
export function dockerManifest(images: readonly ArchiveImage[]): object[] {
  return images.map((i) => ({ Config: blobName(i.config.digest), RepoTags: i.repoTags.length ? i.repoTags : null, Layers: i.layers.map((l) => blobName(l.digest)) }));
}

/** The legacy `repositories` file: repository → tag → top layer (docker ignores it when manifest.json exists). */
export function repositoriesFile(images: readonly ArchiveImage[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const i of images) {
    const top = i.layers[i.layers.length - 1];
    if (!top) continue;
    for (const name of i.repoTags) {
      const at = name.lastIndexOf(':');
      const repo = name.slice(0, at);
      (out[repo] ??= {})[name.slice(at + 1)] = top.digest.replace(/^sha256:/, '');
    }
  }
  return out;
}

/** index.json of the archive's OCI layout: one entry per name (one unnamed entry for an untagged image). */
export function archiveIndex(images: readonly ArchiveImage[], fullName: (familiar: string) => string): object {
  const manifests: object[] = [];
  for (const i of images) {
    const desc = { mediaType: MEDIA.manifest, digest: i.manifest.digest, size: i.manifest.size };
    if (!i.repoTags.length) manifests.push(desc);
    for (const name of i.repoTags) {
      const full = fullName(name);
      manifests.push({ ...desc, annotations: { 'io.containerd.image.name': full, 'org.opencontainers.image.ref.name': full.slice(full.lastIndexOf(':') + 1) } });
    }
  }
  return { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
}

/**
 * An entry name of an archive being loaded, cleaned ("./a//b" → "a/b"), or an error for one
 * that leaves the archive: absolute, or climbing above it with "..".
 */
export function archiveEntryName(name: string): string {
  if (name.includes('\0')) throw new RackerError('invalid archive: an entry name contains a NUL byte');
  if (name.startsWith('/')) throw new RackerError(`invalid archive: entry ${JSON.stringify(name)} has an absolute path`);
  const clean = path.posix.normalize(name).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) throw new RackerError(`invalid archive: entry ${JSON.stringify(name)} points outside the archive`);
  return clean === '.' ? '' : clean;
}

/** A symlink entry of the archive (docker 20.10 links duplicate layer.tar files): its target as an entry name, never outside. */
export function archiveLinkTarget(entry: string, target: string): string {
  if (target.startsWith('/')) throw new RackerError(`invalid archive: link ${JSON.stringify(entry)} points outside the archive`);
  const joined = path.posix.join(path.posix.dirname(entry), target);
  if (joined === '..' || joined.startsWith('../')) throw new RackerError(`invalid archive: link ${JSON.stringify(entry)} points outside the archive`);
  return path.posix.normalize(joined);
}

export interface ManifestEntry {
  config: string;
  repoTags: string[];
  layers: string[];
}

/** manifest.json as read: each path an archive entry name, each tag a string. */
export function parseDockerManifest(text: string): ManifestEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RackerError('invalid archive: manifest.json is not JSON');
  }
  if (!Array.isArray(value) || value.length === 0) throw new RackerError('invalid archive: manifest.json lists no image');
  return value.map((raw, n) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const bad = (what: string) => new RackerError(`invalid archive: manifest.json entry ${n}: ${what}`);
    if (typeof e.Config !== 'string') throw bad('no Config');
    if (!Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) throw bad('Layers is not a list of paths');
    const tags = e.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw bad('RepoTags is not a list of names');
    return { config: archiveEntryName(e.Config), repoTags: tags as string[], layers: (e.Layers as string[]).map(archiveEntryName) };
  });
}

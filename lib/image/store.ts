/**
 * The image store: unpacked machine images under images/<id>/ and a tag table
 * (repositories.json). An image directory exists under its final name only once it
 * is complete (built in tmp/, renamed into place), so a killed pull never leaves
 * something that later looks like an image.
 */
import { createHash, randomBytes } from '../startup/builtins.js';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { ContainerRoot } from '../fs/in-root.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import type { Paths } from '../state/paths.js';
import type { Context } from '../context.js';
import type { ImageConfig } from './oci-layout.js';
import { isImageIdLike, keyOrNothing } from './names.js';
import { imageInUse } from './usage.js';

export type ImageOrigin =
  | { kind: 'registry'; reference: string; manifestDigest: string }
  | { kind: 'import'; source: string; /** `import -m`. */ comment?: string }
  | { kind: 'label'; label: string; via: 'registry' | 'bootstrap'; base?: string }
  /** racker build: from a Containerfile (buildah) or an mkosi configuration. */
  | { kind: 'build'; builder: 'buildah' | 'mkosi' }
  /** racker load / POST /images/load: from an archive. */
  | { kind: 'load' }
  /** A directory used in place as the image's root (images/<id>/rootfs is a link to it). */
  | { kind: 'directory'; path: string }
  /** racker commit: a container's changes on top of its image. */
  | {
      kind: 'commit';
      container: string;
      /** The image it was made on: image inspect's Parent. */
      base: string;
      /** The container's Config as inspect showed it then (image inspect's ContainerConfig). */
      containerConfig?: Record<string, unknown>;
    };

export interface ImageRecord {
  /** sha256:<hex> of the image config, like docker's image ID. */
  id: string;
  created?: string;
  /** Bytes on disk of the unpacked root filesystem. */
  size: number;
  architecture?: string;
  os?: string;
  /** The architecture's variant (arm's v7), as the image config names it. */
  variant?: string;
  config: ImageConfig;
  origin: ImageOrigin;
  /** The image has systemd as init, so containers boot it (boot mode) by default. */
  systemd: boolean;
}

/** One tag: a name users type, pointing at an image. */
export interface TagEntry {
  id: string;
  /** The registry's manifest digest when pulled (what "Image is up to date" compares). */
  repoDigest?: string;
  updated: string;
  /** An image made from a URL, file, directory or archive (from-source.ts): what, and how to revalidate it. */
  source?: SourceEntry;
}

export interface SourceEntry {
  /** As `racker images` shows it (a URL without credentials, an absolute path). */
  text: string;
  kind: 'url' | 'tarball' | 'directory' | 'docker-archive' | 'oci-archive' | 'oci';
  /** A URL's validators, sent back as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
  /** A file's size, mtime and content digest when it was imported. */
  size?: number;
  mtimeMs?: number;
  digest?: string;
  /** Last run/pull that used it: the cache drops the least recently used first. */
  used: string;
}

interface Repositories {
  tags: Record<string, TagEntry>;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function hex(id: string): string {
  return id.replace(/^sha256:/, '');
}

export async function readTags(paths: Paths): Promise<Record<string, TagEntry>> {
  return (await readJson<Repositories>(paths.repositories, { tags: {} })).tags;
}

/**
 * The lock of one name (a tag key): a pull, a label's provisioning or a source's import
 * holds it from its copy to its retag, and rmi takes it so it never untags in the middle.
 */
export function nameLock(key: string): string {
  return `pull-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Read-modify-write of the tag table, under its own short lock. */
export async function updateTags(paths: Paths, change: (tags: Record<string, TagEntry>) => void): Promise<void> {
  await withLock(paths.lock('repositories'), async () => {
    const repos = await readJson<Repositories>(paths.repositories, { tags: {} });
    change(repos.tags);
    await writeJsonAtomic(paths.repositories, repos);
  });
}

export async function readImage(paths: Paths, id: string): Promise<ImageRecord | undefined> {
  const rec = await readJson<ImageRecord | undefined>(paths.imageMeta(id), undefined);
  return rec;
}

/** Rewrite an image's record (from-source.ts: a directory's systemd yes/no when the tree changed). */
export async function writeImageRecord(paths: Paths, record: ImageRecord): Promise<void> {
  await writeJsonAtomic(paths.imageMeta(record.id), record);
}

export async function listImages(paths: Paths): Promise<ImageRecord[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.images);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ImageRecord[] = [];
  for (const name of names) {
    if (!/^[a-f0-9]{64}$/.test(name)) continue;
    const rec = await readImage(paths, name);
    if (rec) out.push(rec);
  }
  return out;
}

export function imageExists(paths: Paths, id: string): boolean {
  return existsSync(paths.imageMeta(id));
}

/** A fresh scratch directory on the store's filesystem (so the result can be renamed into place). */
export async function scratchDir(paths: Paths, purpose: string): Promise<string> {
  await fs.mkdir(paths.tmp, { recursive: true });
  const dir = path.join(paths.tmp, `${purpose}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir);
  return dir;
}

/**
 * Move a finished image (dir containing rootfs/) into the store. If an identical image
 * is already there (same config digest), the new copy is dropped.
 */
export async function commitImage(paths: Paths, dir: string, record: ImageRecord): Promise<void> {
  await writeJsonAtomic(path.join(dir, 'image.json'), record);
  await fs.mkdir(paths.images, { recursive: true });
  const final = paths.image(record.id);
  if (existsSync(paths.imageMeta(record.id))) {
    await removeTree(dir);
    return;
  }
  // A leftover without image.json is an interrupted commit: clear it.
  if (existsSync(final)) await removeTree(final, paths);
  await fs.rename(dir, final);
}

/** Remove a tree without ever exposing a half-deleted image: rename it into tmp/ first. */
export async function removeTree(dir: string, paths?: Paths): Promise<void> {
  let target = dir;
  if (paths) {
    await fs.mkdir(paths.tmp, { recursive: true });
    target = path.join(paths.tmp, `trash-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(dir, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
  await fs.rm(target, { recursive: true, force: true });
}

export async function removeImageData(paths: Paths, id: string): Promise<void> {
  await removeTree(paths.image(id), paths);
}

/** Image IDs some tag still points at. */
/** Point key at a new image; the image it pointed at before goes if nothing else needs it. */
export async function retag(ctx: Context, key: string, entry: TagEntry): Promise<void> {
  let previous: string | undefined;
  let stillTagged = true;
  await updateTags(ctx.paths, (tags) => {
    previous = tags[key]?.id;
    tags[key] = entry;
    stillTagged = previous !== undefined && taggedIds(tags).has(previous);
  });
  if (previous && previous !== entry.id && !stillTagged) {
    if (!(await imageInUse(ctx.paths, previous))) await removeImageData(ctx.paths, previous);
  }
}

export function taggedIds(tags: Record<string, TagEntry>): Set<string> {
  return new Set(Object.values(tags).map((t) => t.id));
}

/** Find an image by tag key, full ID or unique ID prefix (docker accepts all three). */
/** An image a user named: a reference, a label, or an ID (prefix). */
export async function findImageNamed(paths: Paths, name: string): Promise<{ record: ImageRecord; tagKey?: string }> {
  return findImage(paths, keyOrNothing(name), name);
}

export async function findImage(
  paths: Paths,
  key: string | undefined,
  idLike: string,
): Promise<{ record: ImageRecord; tagKey?: string }> {
  const tags = await readTags(paths);
  if (key && tags[key]) {
    const record = await readImage(paths, tags[key].id);
    if (record) return { record, tagKey: key };
  }
  if (isImageIdLike(idLike)) {
    const prefix = idLike.replace(/^sha256:/, '');
    const matches = (await listImages(paths)).filter((r) => hex(r.id).startsWith(prefix));
    if (matches.length === 1) return { record: matches[0]! };
  }
  throw new NotFoundError(`No such image: ${idLike}`);
}

/** Sum of file sizes below dir (hard links counted once), the SIZE `racker images` shows. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p);
      if (st.nlink > 1 && !st.isDirectory()) {
        const k = `${st.dev}:${st.ino}`;
        if (seen.has(k)) continue;
        seen.add(k);
      }
      total += st.isDirectory() ? 0 : st.size;
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return total;
}

/** Asked inside the image's root: its links (`lib -> /lib`) lead into the image, never to the host's systemd. */
export function hasSystemd(rootfs: string): boolean {
  return ContainerRoot.with(rootfs, (root) => ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].some((p) => root.statOrNothing(p)?.isFile() === true));
}

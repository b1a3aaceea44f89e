/**
 * Which layers of buildah's storage a built image adds on top of its base, and where their
 * files are: read from containers/storage's own records (overlay-images/images.json,
 * overlay-layers/layers.json; overlay/<layer>/diff holds a layer's files, deletions as
 * overlayfs whiteouts). buildah has no command that prints a layer's directory, and a
 * working container plus a mount costs three buildah runs (~130 ms), which the copy of a
 * one-line build's result must not cost.
 *
 * These files are containers/storage's format, not an interface: anything unexpected
 * (a missing file, a field of another type, a chain that does not reach the base) makes
 * the answer `undefined`, and the caller falls back to copying buildah's mount whole.
 * They are read while racker holds the buildah lock and no buildah runs, so they are
 * consistent.
 */
import { createHash } from '../startup/builtins.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface StoredImage {
  id: string;
  names: string[];
  layer?: string;
}

interface StoredLayer {
  id: string;
  parent?: string;
}

function readJsonArray(file: string): unknown[] | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const HEX = /^[a-f0-9]{64}$/;

function images(root: string): StoredImage[] | undefined {
  const raw = readJsonArray(path.join(root, 'overlay-images', 'images.json'));
  if (!raw) return undefined;
  const out: StoredImage[] = [];
  for (const r of raw as Record<string, unknown>[]) {
    if (typeof r?.id !== 'string') return undefined;
    out.push({ id: r.id, names: Array.isArray(r.names) ? r.names.filter((n): n is string => typeof n === 'string') : [], ...(typeof r.layer === 'string' ? { layer: r.layer } : {}) });
  }
  return out;
}

function layers(root: string): Map<string, StoredLayer> | undefined {
  const map = new Map<string, StoredLayer>();
  // Newer containers/storage keeps short-lived (container) layers in a second file.
  for (const name of ['layers.json', 'volatile-layers.json']) {
    const file = path.join(root, 'overlay-layers', name);
    if (!existsSync(file)) continue;
    const raw = readJsonArray(file);
    if (!raw) return undefined;
    for (const r of raw as Record<string, unknown>[]) {
      if (typeof r?.id !== 'string') return undefined;
      map.set(r.id, { id: r.id, ...(typeof r.parent === 'string' ? { parent: r.parent } : {}) });
    }
  }
  return map;
}

/** An image's top layer, found by its ID (sha256:… or hex) or one of its names. */
function topLayer(all: readonly StoredImage[], ref: { id?: string; name?: string }): string | undefined {
  const hex = ref.id?.replace(/^sha256:/, '');
  const img = all.find((i) => (hex !== undefined && i.id === hex) || (ref.name !== undefined && i.names.includes(ref.name)));
  return img?.layer;
}

export interface LayersAbove {
  /** Which of the candidates the image is built on (its index). */
  base: number;
  /** The diff directories of the layers above the base, top first (overlayfs lowerdir order). */
  diffs: string[];
}

/**
 * The layers `built` adds on top of the nearest of `candidates` (each found by ID or a
 * name in buildah's storage), or undefined (not on any of them, or storage unreadable).
 */
export function layersAbove(root: string, built: string, candidates: readonly { id?: string; name?: string }[]): LayersAbove | undefined {
  const all = images(root);
  const byId = layers(root);
  if (!all || !byId) return undefined;
  const bases = candidates.map((c) => topLayer(all, c));
  const chain: string[] = [];
  let layer = topLayer(all, { id: built });
  // Image without layers (FROM scratch and nothing added): no base below it.
  for (let guard = 0; layer !== undefined && guard < 1000; guard++) {
    const base = bases.indexOf(layer);
    if (base >= 0) {
      const diffs = chain.map((id) => path.join(root, 'overlay', id, 'diff'));
      for (const d of diffs) {
        try {
          if (!statSync(d).isDirectory()) return undefined;
        } catch {
          return undefined;
        }
      }
      return { base, diffs };
    }
    if (!HEX.test(layer) || !byId.has(layer)) return undefined;
    chain.push(layer);
    layer = byId.get(layer)!.parent;
  }
  return undefined;
}

/** Does buildah's storage hold working containers (a killed build's)? undefined: cannot tell. */
export function hasWorkingContainers(root: string): boolean | undefined {
  const file = path.join(root, 'overlay-containers', 'containers.json');
  if (!existsSync(file)) return existsSync(path.join(root, 'overlay-containers')) ? undefined : false;
  const raw = readJsonArray(file);
  return raw === undefined ? undefined : raw.length > 0;
}

/** The names an image (by ID, else by a name of it) has in buildah's storage; undefined when it is not there or storage is unreadable. */
export function storedNames(root: string, id: string, name?: string): string[] | undefined {
  const hex = id.replace(/^sha256:/, '');
  const all = images(root);
  return (all?.find((i) => i.id === hex) ?? (name !== undefined ? all?.find((i) => i.names.includes(name)) : undefined))?.names;
}

/**
 * An image's config as buildah stored it (containers/storage keeps it under its digest, the
 * image ID, in a file named after that key in base64): checked against the ID, so what is
 * returned is that image's config or nothing.
 */
export function storedConfig(root: string, id: string): Buffer | undefined {
  const hex = id.replace(/^sha256:/, '');
  if (!HEX.test(hex)) return undefined;
  try {
    const bytes = readFileSync(path.join(root, 'overlay-images', hex, `=${Buffer.from(`sha256:${hex}`).toString('base64')}`));
    return createHash('sha256').update(bytes).digest('hex') === hex ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Does containers/storage's configuration mount its layers with metadata-only copy-ups or
 * directory redirects (mountopt metacopy=on / redirect_dir=on)? Then a layer's files can
 * stand for data or names in layers below, which only a mount with the same options shows
 * right, and racker's own overlay of the layers (plain kernel defaults, as buildah's are
 * without such a setting) is not used.
 */
export function storageOverlayOptions(env: NodeJS.ProcessEnv = process.env): boolean {
  const files = [env.CONTAINERS_STORAGE_CONF, '/etc/containers/storage.conf', '/usr/share/containers/storage.conf'].filter((f): f is string => !!f);
  return files.some((f) => {
    try {
      return /metacopy|redirect_dir/.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}

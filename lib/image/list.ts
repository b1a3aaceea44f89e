/** The rows of `racker images`: one per tag, plus untagged (dangling) images. */
import type { Paths } from '../state/paths.js';
import { displayName } from './names.js';
import { listImages, readTags, type ImageRecord } from './store.js';

export interface ImageRow {
  repository: string;
  tag: string;
  id: string;
  created?: string;
  size: number;
  /** The registry's manifest digest of this tag (pulled images); the DIGEST column. */
  digest?: string;
  /** Where an image run from a URL, path or archive came from (from-source.ts). */
  source?: string;
  record: ImageRecord;
}

export async function imageRows(paths: Paths): Promise<ImageRow[]> {
  const [tags, images] = await Promise.all([readTags(paths), listImages(paths)]);
  const byId = new Map(images.map((r) => [r.id, r]));
  const rows: ImageRow[] = [];
  const tagged = new Set<string>();
  // A digest pull (`repo@sha256:…`) is a name, not a tag: docker lists it as `repo <none>`
  // only when nothing else names that image, and once per repository.
  const names = Object.entries(tags).map(([key, entry]) => ({ key, entry, ...displayName(key) }));
  const hasTag = new Set(names.filter((n) => n.tag !== '<none>').map((n) => n.entry.id));
  const digestRows = new Set<string>();
  for (const { key, entry, repository, tag } of names) {
    const record = byId.get(entry.id);
    if (!record) continue;
    tagged.add(entry.id);
    if (tag === '<none>') {
      if (hasTag.has(entry.id) || digestRows.has(`${repository} ${entry.id}`)) continue;
      digestRows.add(`${repository} ${entry.id}`);
    }
    rows.push({ ...displayName(key), id: record.id, ...(record.created ? { created: record.created } : {}), size: record.size, ...(entry.repoDigest ? { digest: entry.repoDigest } : {}), ...(entry.source ? { source: entry.source.text } : {}), record });
  }
  for (const record of images) {
    if (tagged.has(record.id)) continue;
    rows.push({ repository: '<none>', tag: '<none>', id: record.id, ...(record.created ? { created: record.created } : {}), size: record.size, record });
  }
  // Newest first, like docker.
  return rows.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.repository.localeCompare(b.repository));
}

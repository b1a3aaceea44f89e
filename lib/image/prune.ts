/**
 * racker image prune / POST /images/prune: dangling images (no tag), or with `all` every
 * image no container uses; never one a container uses. Each goes through rmi's path per tag
 * (same locks, same layout clean-up).
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { displayName, keyName } from './names.js';
import { removeImage } from './remove.js';
import { listImages, readTags } from './store.js';
import { containersUsing } from './usage.js';

export interface PruneResult {
  deleted: { Untagged?: string; Deleted?: string }[];
  spaceReclaimed: number;
}

export interface PruneFilter {
  /** Only images created before this instant. */
  until?: Date;
  /** label=KEY or KEY=VALUE (all must match); label!= the opposite. */
  labels: string[];
  notLabels: string[];
}

/** docker's prune filters: until (a duration like 24h, or a time), label, label!=. */
export function parsePruneFilters(entries: readonly [string, string[]][], now: Date): PruneFilter {
  const f: PruneFilter = { labels: [], notLabels: [] };
  for (const [key, values] of entries) {
    if (key === 'until') {
      for (const v of values) {
        const d = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
        const t = d ? new Date(now.getTime() - Number(d[1]) * { s: 1e3, m: 6e4, h: 3.6e6 }[d[2] as 's' | 'm' | 'h']) : /^\d+$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
        if (Number.isNaN(t.getTime())) throw new UsageError(`invalid filter 'until=${v}'`);
        f.until = t;
      }
    } else if (key === 'label') f.labels.push(...values);
    else if (key === 'label!') f.notLabels.push(...values);
    else throw new UsageError(`invalid filter '${key}' (image prune supports until, label, label!)`);
  }
  return f;
}

function labelMatches(labels: Record<string, string>, spec: string): boolean {
  const at = spec.indexOf('=');
  return at < 0 ? spec in labels : labels[spec.slice(0, at)] === spec.slice(at + 1);
}

export async function pruneImages(ctx: Context, opts: { all?: boolean; filter?: PruneFilter } = {}): Promise<PruneResult> {
  const f = opts.filter ?? { labels: [], notLabels: [] };
  const [images, tags] = await Promise.all([listImages(ctx.paths), readTags(ctx.paths)]);
  const result: PruneResult = { deleted: [], spaceReclaimed: 0 };
  for (const image of images) {
    const keys = Object.keys(tags).filter((k) => tags[k]!.id === image.id);
    if (keys.length && !opts.all) continue;
    if (f.until && !(image.created && Date.parse(image.created) < f.until.getTime())) continue;
    const labels = image.config.Labels ?? {};
    if (!f.labels.every((l) => labelMatches(labels, l)) || f.notLabels.some((l) => labelMatches(labels, l))) continue;
    if ((await containersUsing(ctx.paths, image.id)).length) continue;
    // By name each tag, then by ID what is left: rmi's own checks and locks decide.
    const lines = [];
    try {
      for (const k of keys.filter((k) => displayName(k).tag !== '<none>')) lines.push(...(await removeImage(ctx, keyName(k))));
      if (!lines.some((l) => l.kind === 'Deleted')) lines.push(...(await removeImage(ctx, image.id, { force: true })));
    } catch (err) {
      ctx.log.warn(`image prune: ${image.id}: ${(err as Error).message}`);
    }
    for (const l of lines) result.deleted.push(l.kind === 'Untagged' ? { Untagged: l.what } : { Deleted: l.what });
    if (lines.some((l) => l.kind === 'Deleted')) result.spaceReclaimed += image.size;
  }
  return result;
}

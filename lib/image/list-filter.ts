/**
 * `images --filter`: docker's dangling=, label=, before=, since=, reference=. Values of one key
 * are alternatives, different keys must all match (as for ps); an unknown key is an error.
 */
import { UsageError } from '../errors.js';
import { matchesLabel } from '../format/labels.js';
import type { ImageRow } from './list.js';
import { isImageIdLike } from './names.js';

const KEYS = ['dangling', 'label', 'before', 'since', 'reference'];

function split(f: string): [string, string] {
  const eq = f.indexOf('=');
  if (eq < 0 || !KEYS.includes(f.slice(0, eq))) throw new UsageError(`invalid filter '${f}' (racker supports ${KEYS.join(', ')})`);
  return [f.slice(0, eq), f.slice(eq + 1)];
}

/** before=/since= name an image: the row naming it (by REPOSITORY:TAG or ID prefix) gives the time. */
function createdOf(rows: readonly ImageRow[], name: string): number {
  const hex = name.replace(/^sha256:/, '');
  const row =
    rows.find((r) => `${r.repository}:${r.tag}` === name || (r.tag === 'latest' && r.repository === name)) ??
    (isImageIdLike(name) ? rows.find((r) => r.id.replace(/^sha256:/, '').startsWith(hex)) : undefined);
  if (!row) throw new UsageError(`No such image: ${name}`);
  return Date.parse(row.created ?? '') || 0;
}

/** A `reference` filter pattern (`debian`, `debian:book*`, `127.0.0.1:5000/*`) against "name:tag" tags, like docker's. */
export function referenceMatches(pattern: string, tags: readonly string[]): boolean {
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const re = glob(pattern);
  return tags.some((t) => {
    const colon = t.lastIndexOf(':');
    const repository = colon > t.lastIndexOf('/') ? t.slice(0, colon) : t;
    return re.test(t) || re.test(repository);
  });
}

function matches(row: ImageRow, key: string, value: string, all: readonly ImageRow[]): boolean {
  switch (key) {
    case 'dangling':
      if (!['true', 'false', '1', '0'].includes(value)) throw new UsageError(`invalid filter 'dangling=${value}': true or false`);
      return (value === 'true' || value === '1') === (row.repository === '<none>');
    case 'label':
      return matchesLabel(row.record.config.Labels ?? {}, value);
    case 'before':
      return (Date.parse(row.created ?? '') || 0) < createdOf(all, value);
    case 'since':
      return (Date.parse(row.created ?? '') || 0) > createdOf(all, value);
    default:
      return row.repository !== '<none>' && referenceMatches(value, [`${row.repository}:${row.tag}`]);
  }
}

export function filterImageRows(rows: readonly ImageRow[], filters: readonly string[]): ImageRow[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const [k, v] = split(f);
    byKey.set(k, [...(byKey.get(k) ?? []), v]);
  }
  return rows.filter((r) => [...byKey].every(([k, values]) => values.some((v) => matches(r, k, v, rows))));
}

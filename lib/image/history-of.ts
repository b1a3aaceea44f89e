/** The history of a stored image: its config's steps and its layers' sizes (history.ts has the rows' rules). */
import { promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import { findInLayout } from './layout-store.js';
import { displayString } from './names.js';
import { findImageNamed, readTags } from './store.js';
import { historyRows, historySteps, type HistoryRow } from './history.js';

export async function imageHistory(ctx: Context, name: string): Promise<HistoryRow[]> {
  const { record } = await findImageNamed(ctx.paths, name);
  const tags = Object.entries(await readTags(ctx.paths))
    .filter(([, e]) => e.id === record.id)
    .map(([k]) => displayString(k))
    .sort();
  const src = await findInLayout(ctx.paths.oci, record.id);
  if (src) {
    const sizes = await Promise.all(src.layers.map(async (l) => (await fs.stat(l.file)).size));
    return historyRows(record.id, historySteps(JSON.parse(src.config.bytes.toString('utf8'))), sizes, tags);
  }
  // No layers kept (import, labels): one step, the whole tree.
  const o = record.origin;
  const createdBy = o.kind === 'import' ? `racker import ${o.source}` : o.kind === 'label' ? `racker label ${o.label}` : `racker ${o.kind}`;
  const comment = o.kind === 'import' ? o.comment : undefined;
  return historyRows(record.id, [{ ...(record.created ? { created: record.created } : {}), created_by: createdBy, ...(comment ? { comment } : {}) }], [record.size], tags);
}

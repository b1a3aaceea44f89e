/** One entry point for `pull` and for `run`'s implicit pull: label or registry reference. */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { pullLabel, type LabelPullOptions } from './label-pull.js';
import { resolveImageName } from './names.js';
import { pullReference, type PullResult } from './pull.js';
import { emit } from '../events/log.js';
import { classifySource, isDirectory } from './source.js';
import { displayName, displayString } from './names.js';

export async function pullImageByName(ctx: Context, input: string, opts: LabelPullOptions = {}): Promise<PullResult> {
  // A URL, path or archive (doc/images.md, "Sources"): imported or read, and cached.
  const source = classifySource(input, { cwd: process.cwd(), isDirectory });
  if (source.kind !== 'reference' && source.kind !== 'label') {
    // Lazy for start-up: from-source.ts (downloads, archives) is needed only for sources.
    const { imageFromSource } = await import('./from-source.js');
    const r = await imageFromSource(ctx, source, { policy: opts.force ? 'always' : 'missing', status: opts.status });
    return { key: r.key, id: r.record.id, digest: r.record.id, updated: r.updated };
  }
  const name = resolveImageName(input);
  if (name.kind !== 'label' && opts.source && opts.source !== 'auto' && opts.source !== 'registry') {
    throw new UsageError(`--source ${opts.source} applies to curated labels only, not to ${input}`);
  }
  const result = name.kind === 'label' ? await pullLabel(ctx, name.label, opts) : await pullReference(ctx, name.ref, opts);
  // dockerd: the reference as the user would write it, and its repository as the name.
  emit(ctx, { type: 'image', action: 'pull', id: displayString(result.key), attributes: { name: displayName(result.key).repository } });
  return result;
}

/** One entry point for `pull` and for `run`'s implicit pull: label or registry reference. */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { pullLabel, type LabelPullOptions } from './label-pull.js';
import { resolveImageName } from './names.js';
import { pullReference, type PullResult } from './pull.js';

export async function pullImageByName(ctx: Context, input: string, opts: LabelPullOptions = {}): Promise<PullResult> {
  const name = resolveImageName(input);
  if (name.kind === 'label') return pullLabel(ctx, name.label, opts);
  if (opts.source && opts.source !== 'auto' && opts.source !== 'registry') {
    throw new UsageError(`--source ${opts.source} applies to curated labels only, not to ${input}`);
  }
  return pullReference(ctx, name.ref, opts);
}

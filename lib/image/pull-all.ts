/** `pull -a`: every tag of a registry repository, one pull after another (as docker does). */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { findCredentials } from '../registry/auth.js';
import { remoteTags } from '../registry/client.js';
import { resolveImageName } from './names.js';
import { pullReference, pullTimeouts, REGISTRY_TIMEOUT_ENV, sourceReference, type PullOptions } from './pull.js';
import { isLoopbackRegistry } from '../registry/reference.js';

/** Pulls each tag; returns the repository's name (the line docker prints last). */
export async function pullAllTags(ctx: Context, input: string, opts: PullOptions): Promise<string> {
  // A tag or digest after the last '/': docker refuses it with -a.
  if (/[:@][^/]*$/.test(input)) throw new UsageError('tag can\'t be used with --all-tags/-a');
  const name = resolveImageName(input);
  if (name.kind === 'label') throw new UsageError(`--all-tags applies to registry repositories, not to the curated label ${input}`);
  const source = sourceReference(name.ref, ctx.env);
  const tags = await remoteTags(source, {
    tlsVerify: opts.tlsVerify ?? !isLoopbackRegistry(source.registry),
    credentials: await findCredentials(source.registry, ctx.env),
    log: ctx.log,
    timeoutMs: pullTimeouts(ctx.env).requestMs,
    timeoutSetting: REGISTRY_TIMEOUT_ENV,
  });
  for (const tag of tags) await pullReference(ctx, { ...name.ref, tag }, opts);
  return name.ref.registry === 'docker.io' ? `docker.io/${name.ref.repository}` : `${name.ref.registry}/${name.ref.repository}`;
}

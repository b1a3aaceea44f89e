/**
 * racker rmi: untag, and delete the image once no tag and no container needs it.
 * Like docker, an image a container uses is refused unless forced; forced, the tag goes
 * but the data stays until the last container using it is removed.
 */
import type { Context } from '../context.js';
import { ConflictError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { familiarKey, isSingleReference, keyOrNothing } from './names.js';
import { dropLayoutTag } from './oci-layout.js';
import { findImage, nameLock, readTags, removeImageData, shortId, taggedIds, updateTags } from './store.js';
import { containersUsing } from './usage.js';
import { emit } from '../events/log.js';

export interface RemovedLine {
  kind: 'Untagged' | 'Deleted';
  what: string;
}

export async function removeImage(ctx: Context, input: string, opts: { force?: boolean } = {}): Promise<RemovedLine[]> {
  const key = keyOrNothing(input);
  // A pull of the same name holds this lock from its copy to its retag. Untagging and
  // collecting blobs in the middle of it made that pull fail in umoci ("open blob: no such
  // file"), or deleted data a tag then named: wait for the pull instead, as a second pull does.
  if (!key) return removeLocked(ctx, input, undefined, opts);
  return withLock(ctx.paths.lock(nameLock(key)), () => removeLocked(ctx, input, key, opts));
}

async function removeLocked(ctx: Context, input: string, key: string | undefined, opts: { force?: boolean }): Promise<RemovedLine[]> {
  const { record, tagKey } = await findImage(ctx.paths, key, input);
  const users = await containersUsing(ctx.paths, record.id);
  const tags = await readTags(ctx.paths);
  // By name, one reference of several only untags (docker's isSingleReference): the image
  // keeps a name, so the containers using it are not left with a dangling one.
  const othersRemain = tagKey !== undefined && !isSingleReference(Object.keys(tags).filter((k) => tags[k]!.id === record.id));
  if (users.length && !opts.force && !othersRemain) {
    throw new ConflictError(
      `conflict: unable to remove image ${input} (must force) - image is being used by container ${shortId(users[0]!)}`,
    );
  }
  // By ID: every tag of the image goes; by name: only that tag.
  const untag = tagKey ? [tagKey] : Object.keys(tags).filter((k) => tags[k]!.id === record.id);
  if (!tagKey && untag.length > 1 && !opts.force) {
    throw new ConflictError(
      `conflict: unable to delete ${shortId(record.id)} (must be forced) - image is referenced in multiple repositories`,
    );
  }
  const lines: RemovedLine[] = [];
  let stillTagged = false;
  await updateTags(ctx.paths, (t) => {
    for (const k of untag) delete t[k];
    stillTagged = taggedIds(t).has(record.id);
  });
  for (const k of untag) {
    lines.push({ kind: 'Untagged', what: familiarKey(k) });
    emit(ctx, { type: 'image', action: 'untag', id: record.id, attributes: { name: record.id } });
    await dropLayoutTag(ctx, k);
  }
  if (!stillTagged && users.length === 0) {
    await removeImageData(ctx.paths, record.id);
    lines.push({ kind: 'Deleted', what: record.id });
    emit(ctx, { type: 'image', action: 'delete', id: record.id, attributes: { name: record.id } });
  }
  return lines;
}

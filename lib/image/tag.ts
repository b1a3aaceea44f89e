/** racker tag SOURCE TARGET: a second name for an image, as docker's tag (no data copied). */
import type { Paths } from '../state/paths.js';
import { displayString, isLabelKey, resolveImageName } from './names.js';
import { UsageError } from '../errors.js';
import { findImage, updateTags } from './store.js';
import { emit } from '../events/log.js';

/** The tag key of `name` if it is a reference; undefined for an image ID. */
function keyOf(name: string): string | undefined {
  try {
    return resolveImageName(name).key;
  } catch (err) {
    if (/^(sha256:)?[a-f0-9]{4,64}$/.test(name)) return undefined;
    throw err;
  }
}

export async function tagImage(paths: Paths, source: string, target: string): Promise<void> {
  const { record } = await findImage(paths, keyOf(source), source);
  const key = resolveImageName(target).key;
  // A curated label names what racker provisions; a tag of that spelling would shadow it.
  if (isLabelKey(key)) throw new UsageError(`${target} is the name of a curated label; choose another name`);
  await updateTags(paths, (tags) => {
    tags[key] = { id: record.id, updated: new Date().toISOString() };
  });
  emit({ paths }, { type: 'image', action: 'tag', id: record.id, attributes: { name: displayString(key) } });
}

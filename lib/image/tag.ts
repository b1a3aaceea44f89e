/** racker tag SOURCE TARGET: a second name for an image, as docker's tag (no data copied). */
import type { Paths } from '../state/paths.js';
import { displayString, isLabelKey, resolveImageInput, resolveImageName } from './names.js';
import { UsageError } from '../errors.js';
import { findImage, updateTags } from './store.js';
import { emit } from '../events/log.js';

export async function tagImage(paths: Paths, source: string, target: string): Promise<void> {
  const { record } = await findImage(paths, resolveImageInput(source).key, source);
  const key = resolveImageName(target).key;
  // A curated label names what racker provisions; a tag of that spelling would shadow it.
  if (isLabelKey(key)) throw new UsageError(`${target} is the name of a curated label; choose another name`);
  await updateTags(paths, (tags) => {
    tags[key] = { id: record.id, updated: new Date().toISOString() };
  });
  emit({ paths }, { type: 'image', action: 'tag', id: record.id, attributes: { name: displayString(key) } });
}

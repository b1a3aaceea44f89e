/**
 * What a user typed → which image. A curated label (`debian-bookworm`) wins over a
 * Docker Hub name of the same spelling; everything else follows docker's reference rules.
 */
import { findLabel, type Label } from './labels.js';
import { familiarName, formatReference, parseReference, type ImageReference } from './reference.js';

export type ImageName =
  | { kind: 'label'; label: Label; key: string }
  | { kind: 'registry'; ref: ImageReference; key: string };

const LABEL_PREFIX = 'label:';

/** The tag-table key of a curated label ("label:debian-bookworm"). */
export function labelKey(name: string): string {
  return `${LABEL_PREFIX}${name}`;
}

export function isLabelKey(key: string): boolean {
  return key.startsWith(LABEL_PREFIX);
}

/** How a key is named in `pull`/`rmi` output: the label's bare name, a reference as it is. */
export function keyName(key: string): string {
  return isLabelKey(key) ? key.slice(LABEL_PREFIX.length) : key;
}

export function resolveImageName(input: string): ImageName {
  const bare = input.endsWith(':latest') ? input.slice(0, -':latest'.length) : input;
  const label = findLabel(bare);
  if (label) return { kind: 'label', label, key: labelKey(label.name) };
  const ref = parseReference(input);
  return { kind: 'registry', ref, key: formatReference(ref) };
}

/** The REPOSITORY and TAG columns for a tag key. */
export function displayName(key: string): { repository: string; tag: string } {
  if (isLabelKey(key)) return { repository: keyName(key), tag: 'latest' };
  const ref = parseReference(key);
  return { repository: familiarName(ref), tag: ref.tag ?? '<none>' };
}

/** How a user would name it again: "debian:bookworm", "debian-bookworm". */
export function displayString(key: string): string {
  const { repository, tag } = displayName(key);
  return tag === '<none>' ? repository : `${repository}:${tag}`;
}

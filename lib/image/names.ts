/**
 * What a user typed → which image. A curated label (`debian-bookworm`) wins over a
 * Docker Hub name of the same spelling; everything else follows docker's reference rules.
 */
import { findLabel, type Label } from './labels.js';
import { classifySource, sourceKey } from './source.js';
import { familiarName, familiarString, formatReference, parseReference, type ImageReference } from '../registry/reference.js';

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

/** An image ID as a user may write it: "sha256:" or not, then 4 to 64 hex digits (a unique prefix will do). */
export function isImageIdLike(input: string): boolean {
  return /^(sha256:)?[a-f0-9]{4,64}$/.test(input);
}

/**
 * An image argument (run, create, build's FROM, tag's source) parsed once: a label or a
 * reference with its tag key, or else an image ID (`key` undefined; look it up by ID prefix).
 * Anything else is the reference's own error ("invalid reference format"). A hex spelling that
 * is also a valid name ("abcd") resolves as the name: findImage falls back to the ID prefix.
 */
export function resolveImageInput(input: string): ImageName | { kind: 'id'; id: string; key?: undefined } {
  try {
    return resolveImageName(input);
  } catch (err) {
    if (!isImageIdLike(input)) throw err;
    return { kind: 'id', id: input };
  }
}

/** The tag key of a reference or label; undefined for what can only be an image ID (a hex prefix). */
export function keyOrNothing(name: string): string | undefined {
  try {
    // rmi/inspect of a source names its cached image (the key does not depend on what the path is).
    const source = classifySource(name, { cwd: process.cwd(), isDirectory: () => false });
    if (source.kind !== 'reference' && source.kind !== 'label') return sourceKey(source);
    return resolveImageName(name).key;
  } catch {
    return undefined;
  }
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

/** A key as docker's rmi and prune name what they untagged: "hello-world:latest", a label's bare name. */
export function familiarKey(key: string): string {
  return isLabelKey(key) ? keyName(key) : familiarString(parseReference(key));
}

/**
 * docker's isSingleReference over an image's keys: one reference, or one tag at most with
 * digest references of that same repository only. Removing a name of an image that has
 * others is then just an untag.
 */
export function isSingleReference(keys: readonly string[]): boolean {
  if (keys.length <= 1) return keys.length === 1;
  const repo = (k: string) => (isLabelKey(k) ? k : k.replace(/@.*$/, '').replace(/:[^:/]*$/, ''));
  const tagged = keys.filter((k) => isLabelKey(k) || !k.includes('@'));
  if (tagged.length > 1) return false;
  const digests = new Set(keys.filter((k) => !tagged.includes(k)).map(repo));
  const single = tagged[0] ?? keys[0]!;
  return digests.size === 1 && digests.has(repo(single));
}

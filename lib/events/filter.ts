/**
 * docker's event filters (daemon/events/filter.go), pure: an event passes when every key given
 * matches (values of one key are alternatives). container, network and volume match the
 * actor's ID or name by prefix; image matches the ID or image name, with or without its tag;
 * event matches the action exactly (exec_create, exec_start and health_status also by prefix,
 * since their actions carry the command); label takes `k` or `k=v`, all of them.
 */
import { UsageError } from '../errors.js';
import type { EventMessage } from './log.js';

export type EventFilters = Map<string, string[]>;

const KEYS = ['container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume', 'config'];

/** [key, values] pairs (the API's ?filters=, or --filter k=v) → filters; an unknown key is refused. */
export function eventFilters(entries: readonly [string, readonly string[]][]): EventFilters {
  const f: EventFilters = new Map();
  for (const [key, values] of entries) {
    if (!KEYS.includes(key)) throw new UsageError(`invalid filter '${key}'`);
    f.set(key, [...(f.get(key) ?? []), ...values]);
  }
  return f;
}

/** `--filter k=v` flags as filter entries. */
export function filterFlags(flags: readonly string[]): [string, string[]][] {
  return flags.map((flag) => {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${flag}`);
    return [flag.slice(0, eq).toLowerCase(), [flag.slice(eq + 1)]];
  });
}

function exact(f: EventFilters, key: string, ...sources: (string | undefined)[]): boolean {
  const values = f.get(key);
  return !values || sources.some((s) => s !== undefined && values.includes(s));
}

function fuzzy(f: EventFilters, key: string, ...sources: (string | undefined)[]): boolean {
  const values = f.get(key);
  return !values || sources.some((s) => s !== undefined && values.some((v) => s === v || s.startsWith(v)));
}

/** "repo:tag" → "repo" (a registry's port is not a tag); a digest goes too. */
export function stripTag(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(0, at);
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(0, colon) : image;
}

function labelsMatch(f: EventFilters, attributes: Record<string, string>): boolean {
  return (f.get('label') ?? []).every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? Object.hasOwn(attributes, l) : attributes[l.slice(0, eq)] === l.slice(eq + 1);
  });
}

export function eventMatches(f: EventFilters, ev: EventMessage): boolean {
  if (!f.size) return true;
  const { ID, Attributes } = ev.Actor;
  const name = Attributes.name;
  const prefixed = (f.get('event') ?? []).some((e) => ['exec_create', 'exec_start', 'health_status'].includes(e));
  const imageName = ev.Type === 'image' ? Attributes.name : Attributes.image;
  return (
    (prefixed ? fuzzy(f, 'event', ev.Action) : exact(f, 'event', ev.Action)) &&
    exact(f, 'type', ev.Type) &&
    exact(f, 'scope', ev.scope) &&
    fuzzy(f, 'container', ID, name) &&
    fuzzy(f, 'network', ID, name) &&
    fuzzy(f, 'volume', ID, name) &&
    exact(f, 'image', ID, imageName, stripTag(ID), imageName === undefined ? undefined : stripTag(imageName)) &&
    // racker has no daemons, plugins, nodes, services, secrets or configs: such a filter matches nothing.
    ['daemon', 'plugin', 'node', 'service', 'secret', 'config'].every((k) => !f.has(k)) &&
    labelsMatch(f, Attributes)
  );
}

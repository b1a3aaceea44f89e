/**
 * Which events a caller sees: root all of them; a member of the service's group (lib/access)
 * the events of their own containers — those carrying their uid as `racker.owner`, set from
 * the record when the event was logged, so a container's `destroy` still says whose it was —
 * and those of images, networks and volumes, which are shared (names only).
 */
import { isMember, type Caller } from '../access/caller.js';
import { OWNER_ATTRIBUTE, type EventMessage } from './log.js';

/** A filter for the caller's events, or undefined when they see everything. */
export function eventsVisibleTo(caller: Caller | undefined): ((m: EventMessage) => boolean) | undefined {
  if (!isMember(caller)) return undefined;
  const uid = String(caller.uid);
  return (m) => m.Type !== 'container' || m.Actor.Attributes[OWNER_ATTRIBUTE] === uid;
}

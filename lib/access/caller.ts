/**
 * Who a request is for. The Engine API service learns it from the socket (peer.ts); the
 * commands it runs for a non-root user get it in their Context. No caller, or uid 0, is
 * root: full power, as with sudo. Anyone else is a member of the service's group, held to
 * policy.ts: their own containers and volumes, no door to the host.
 */
import { promises as fs } from 'node:fs';
import { UsageError } from '../errors.js';

export interface Caller {
  uid: number;
  gid: number;
  /** Their login name (passwd), for messages and `racker shell`. */
  name: string;
  home: string;
}

/** Held to the member policy: a caller that is not root. */
export function isMember(caller: Caller | undefined): caller is Caller {
  return caller !== undefined && caller.uid !== 0;
}

/** What a record keeps of its creator. */
export interface Owner {
  uid: number;
  name: string;
}

export function ownerOf(caller: Caller): Owner {
  return { uid: caller.uid, name: caller.name };
}

/** Whether `caller` may see and act on something owned by `owner` (no owner: root's). */
export function mayAct(caller: Caller | undefined, owner: Owner | undefined): boolean {
  return !isMember(caller) || owner?.uid === caller.uid;
}

/** uid → passwd entry (name, home) from /etc/passwd; a uid with no entry keeps its number as name. */
export async function callerFor(uid: number, gid: number, passwdFile = '/etc/passwd'): Promise<Caller> {
  const text = await fs.readFile(passwdFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && Number(f[2]) === uid && /^\d+$/.test(f[2]!)) return { uid, gid, name: f[0]!, home: f[5]! };
  }
  return { uid, gid, name: String(uid), home: '/' };
}

/**
 * RACKER_CALLER=uid:gid:name:home, set by the service on the commands it runs for a member
 * (lib/client/). Only the service sets it; a process run directly by a user is that user's
 * anyway, so the variable can only take power away.
 */
export function callerFromEnv(value: string | undefined): Caller | undefined {
  if (!value) return undefined;
  const m = /^(\d+):(\d+):([^:]*):(.*)$/.exec(value);
  if (!m) throw new UsageError(`RACKER_CALLER must be uid:gid:name:home, not ${value}`);
  return { uid: Number(m[1]), gid: Number(m[2]), name: m[3]!, home: m[4]! };
}

export function callerToEnv(c: Caller): string {
  return `${c.uid}:${c.gid}:${c.name}:${c.home}`;
}

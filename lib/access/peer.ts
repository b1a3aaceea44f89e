/**
 * Who is at the other end of a unix socket: the kernel's SO_PEERCRED (pid, uid, gid at
 * connect()), read by a native piece of racker's, dist/native/peercred.node (native/peercred.c,
 * compiled by `npm run build`). Node itself has no getsockopt.
 */
import type { Socket } from 'node:net';
import { nativeAddon } from './native.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

type Addon = { peerCredentials(fd: number): PeerCredentials };
const load = () => nativeAddon<Addon>('peercred');

/** Whether callers can be told apart (the addon was built and loads). */
export function peerCredentialsAvailable(): boolean {
  return load() !== null;
}

/** The credentials of the process that connected `socket`; undefined when they can't be read. */
export function peerOf(socket: Socket): PeerCredentials | undefined {
  const a = load();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!a || typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return a.peerCredentials(fd);
  } catch {
    return undefined;
  }
}

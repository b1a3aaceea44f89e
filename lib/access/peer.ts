/**
 * Who is at the other end of a unix socket: the kernel's SO_PEERCRED (pid, uid, gid at
 * connect()), read by racker's one native piece, dist/native/peercred.node (native/peercred.c,
 * compiled by `npm run build`). Node itself has no getsockopt.
 */
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

type Addon = { peerCredentials(fd: number): PeerCredentials };
let addon: Addon | null | undefined;

/** Beside the bundle (dist/bin → dist/native) or, from the sources (tests), under dist/. */
function addonPath(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, '..', 'native', 'peercred.node'), path.join(here, '..', '..', 'dist', 'native', 'peercred.node')].find((p) => existsSync(p));
}

function load(): Addon | null {
  if (addon !== undefined) return addon;
  const file = addonPath();
  if (!file) return (addon = null);
  const mod = { exports: {} as Addon };
  try {
    process.dlopen(mod, file);
    addon = mod.exports;
  } catch {
    addon = null;
  }
  return addon;
}

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

/**
 * The `X-Docker-Container-Path-Stat` header of the archive endpoints: base64 of
 * {"name","size","mode","mtime","linkTarget"} as dockerd sends it. `mode` is Go's
 * os.FileMode (the docker CLI decodes it into one and asks IsDir()/Mode()&ModeSymlink),
 * not a Unix st_mode: the file type lives in its high bits, not in S_IFMT.
 */
import type { Stats } from 'node:fs';

export const STAT_HEADER = 'X-Docker-Container-Path-Stat';

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  /** RFC 3339 with nanoseconds, as Go's time.Time marshals. */
  mtime: string;
  /** For a symbolic link: where it leads inside the container, every link resolved; else "". */
  linkTarget: string;
}

// Go's os.FileMode type bits (io/fs).
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_NAMED_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHAR_DEVICE = 2 ** 21;
const GO_STICKY = 2 ** 20;

const S_IFMT = 0o170000;

/** A Unix st_mode as Go's os.FileMode (what os.Lstat gives dockerd). */
export function goFileMode(unixMode: number): number {
  let mode = unixMode & 0o777;
  switch (unixMode & S_IFMT) {
    case 0o040000:
      mode += GO_DIR;
      break;
    case 0o120000:
      mode += GO_SYMLINK;
      break;
    case 0o060000:
      mode += GO_DEVICE;
      break;
    case 0o020000:
      mode += GO_DEVICE + GO_CHAR_DEVICE;
      break;
    case 0o010000:
      mode += GO_NAMED_PIPE;
      break;
    case 0o140000:
      mode += GO_SOCKET;
      break;
  }
  if (unixMode & 0o4000) mode += GO_SETUID;
  if (unixMode & 0o2000) mode += GO_SETGID;
  if (unixMode & 0o1000) mode += GO_STICKY;
  return mode;
}

/** Go's FileMode back to its kind, for a client of the header (racker cp reads it too). */
export function goModeKind(mode: number): 'dir' | 'symlink' | 'file' | 'other' {
  // Above 2^31 JavaScript's bit operators would go negative: compare by division.
  if (Math.floor(mode / GO_DIR) % 2 === 1) return 'dir';
  if (Math.floor(mode / GO_SYMLINK) % 2 === 1) return 'symlink';
  const special = [GO_DEVICE, GO_NAMED_PIPE, GO_SOCKET, GO_CHAR_DEVICE].some((bit) => Math.floor(mode / bit) % 2 === 1);
  return special ? 'other' : 'file';
}

/** Go's time.Time in JSON: RFC 3339, nanoseconds without trailing zeros, "Z" for UTC. */
export function goTime(ms: number, ns?: bigint): string {
  const whole = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  const nanos = ns !== undefined ? Number(ns % 1_000_000_000n) : Math.round((ms % 1000) * 1e6);
  const frac = nanos ? `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${whole}${frac}Z`;
}

/** The stat of `name` (lstat: a link is described, not followed), as dockerd's StatPath. */
export function pathStat(name: string, st: Stats & { mtimeNs?: bigint }, linkTarget = ''): PathStat {
  return { name, size: st.size, mode: goFileMode(st.mode), mtime: goTime(st.mtimeMs, st.mtimeNs), linkTarget };
}

export function encodeStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** The header's value back into a PathStat; undefined when it is not one. */
export function decodeStat(value: string | undefined): PathStat | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Partial<PathStat>;
    if (typeof v.name !== 'string' || typeof v.mode !== 'number') return undefined;
    return { name: v.name, size: Number(v.size) || 0, mode: v.mode, mtime: String(v.mtime ?? ''), linkTarget: String(v.linkTarget ?? '') };
  } catch {
    return undefined;
  }
}

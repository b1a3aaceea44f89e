/**
 * V8's code cache for the bundle the launcher runs (cli/launcher.ts): the bytecode of every
 * function one run of a command compiled, so the next run of that command neither parses nor
 * compiles them. It holds compiled code only, no values: nothing computed by one run (env,
 * cwd, argv, time, ids) can reach the next.
 *
 * A cache is code racker runs, often as root, so a file is only used when this user owns it
 * and nobody else can write it; and V8 does not verify a cache's contents (a flipped byte can
 * abort the process), so each file carries the CRC-32 of its payload, checked before use
 * (zlib's: node:crypto alone would cost more to load, ~4 ms, than the cache saves on a short
 * command; a cache is only ever damaged by accident, its owner being checked).
 * Everything here is synchronous (the launcher runs before anything else, and writes at
 * `exit`) and never throws: a missing, foreign, stale, corrupt or unwritable cache only means
 * compiling as usual.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';

const MAGIC = 'racker-code-cache 1';
/** Files of other builds are removed when they are this old (another checkout may still use its own). */
const STALE_MS = 24 * 3600 * 1000;
/** At most this many files in the directory; the oldest go first. */
const MAX_FILES = 200;

/**
 * Where caches live: RACKER_CODE_CACHE=DIR, or off with RACKER_CODE_CACHE=0/off/''; root's in
 * /var/cache/racker/code (CI runs as root), another user's under ~/.cache.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, euid: number): string | undefined {
  const set = env.RACKER_CODE_CACHE;
  if (set !== undefined) return set === '' || set === '0' || set === 'off' ? undefined : resolve(set);
  if (euid === 0) return '/var/cache/racker/code';
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'racker', 'code') : undefined;
}

/**
 * What one run compiles depends on the command, so each command has its own file: the first
 * word that is not a flag (`racker --debug run …` → run), or "none" (`racker --version`).
 */
export function commandWord(args: readonly string[]): string {
  const word = args.find((a) => !a.startsWith('-'));
  if (word === undefined) return 'none';
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(word) ? word : 'other';
}

export interface CacheKey {
  /** racker or postroj. */
  entry: string;
  /** The bundle's hash, put into the launcher when it was built. */
  bundleHash: string;
  command: string;
  /** The bundle as found at run time (size, mtime): an edited dist/ is not the built one. */
  bundleStat: string;
}

/** The file name: per entry, build and command; the node binary and the bundle's stat go into the header. */
export function cacheFile(dir: string, key: CacheKey): string {
  return join(dir, `${key.entry}-${key.bundleHash.slice(0, 16)}-${key.command}.cache`);
}

function header(key: CacheKey, digest: string, length: number): string {
  // process.version and arch: a cache from another node is rejected by V8 as well, but never read.
  return `${MAGIC} ${key.entry} ${key.bundleHash} ${key.command} ${key.bundleStat} ${process.version} ${process.arch} ${length} ${digest}\n`;
}

/** zlib.crc32 came in Node 20.15; with an older node there is no cache (racker needs >= 20.5). */
const crc32 = (b: Uint8Array): string | undefined => (typeof zlibCrc32 === 'function' ? zlibCrc32(b).toString(16) : undefined);

/** The cached data for key, if a file holds it intact, owned by this user and writable by nobody else. */
export function readCodeCache(file: string, key: CacheKey, euid: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== euid || (st.mode & 0o022) !== 0 || st.size > 256 * 2 ** 20) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, data, got, st.size - got, got);
      if (n === 0) return undefined;
      got += n;
    }
    const nl = data.indexOf(10);
    if (nl < 0) return undefined;
    const payload = data.subarray(nl + 1);
    const fields = data.subarray(0, nl + 1).toString('latin1');
    const digest = crc32(payload);
    return digest !== undefined && fields === header(key, digest, payload.length) ? payload : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Write atomically (a reader sees the old file or the new one), in a directory only this user
 * can enter; then remove other builds' files that have not been written for a day. build: the
 * hashes of every bundle of this build (racker has one per command word), whose files stay.
 */
export function writeCodeCache(file: string, key: CacheKey, payload: Uint8Array, build: readonly string[] = [key.bundleHash]): boolean {
  const dir = dirname(file);
  // Unique enough with 'wx' (which fails rather than share a file): no node:crypto for this.
  const tmp = join(dir, `.${basename(file)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const digest = crc32(payload);
  if (digest === undefined) return false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      const head = Buffer.from(header(key, digest, payload.length), 'latin1');
      writeAll(fd, head);
      writeAll(fd, payload);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* the directory itself is not there */
    }
    return false;
  }
  prune(dir, build);
  return true;
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
}

/** Other builds' files after a day; the oldest files past MAX_FILES. Best effort. */
function prune(dir: string, build: readonly string[]): void {
  try {
    const now = Date.now();
    const mine = build.map((h) => `-${h.slice(0, 16)}-`);
    const files = readdirSync(dir)
      // A temporary file a killed writer left (".NAME.cache.PID-…") goes after a day too.
      .filter((n) => n.endsWith('.cache') || n.startsWith('.'))
      .map((n) => {
        const f = join(dir, n);
        try {
          return { f, n, mtime: statSync(f).mtimeMs };
        } catch {
          return undefined;
        }
      })
      .filter((x) => x !== undefined)
      .sort((a, b) => b.mtime - a.mtime);
    files.forEach(({ f, n, mtime }, i) => {
      if (i >= MAX_FILES || ((!mine.some((m) => n.includes(m)) || n.startsWith('.')) && now - mtime > STALE_MS)) rmSync(f, { force: true });
    });
  } catch {
    /* another process may be pruning too */
  }
}

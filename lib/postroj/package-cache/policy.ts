/**
 * The pure parts of postroj's package cache: which cache a machine uses (its distribution,
 * release and architecture), which downloads may be kept, what the package managers are
 * told, how big the cache may grow and what goes first when it is full.
 *
 * The cache is a caching HTTP proxy on the host's loopback (proxy.ts) that the package
 * manager inside the machine downloads through. It never hands a machine anything the
 * package manager does not verify as it would a download: a package file (.deb, .rpm,
 * .pkg.tar.*) is checked against the manager's own signed index, and an apt index fetched
 * by hash (by-hash/SHA256/…) is checked against the signed InRelease. Release files and
 * anything else that changes under the same URL are never kept.
 */
import { createHash } from '../../startup/builtins.js';
import { UsageError } from '../../errors.js';
import type { PackageFamily } from '../../image/labels.js';

/** Default bound of the whole cache (all distributions together). */
export const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

/** The environment variable that bounds the cache ("0" turns it off). */
export const CACHE_SIZE_ENV = 'RACKER_PACKAGE_CACHE_SIZE';

/** One os-release field, unquoted. */
function osReleaseField(text: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return (m?.[1] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
}

/** A URL path decoded; a malformed escape (a machine may send anything) is left as it is. */
function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** A name part of the key: lower case, only characters that are safe in a file name. */
function keyPart(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.+~_-]/g, '_').replace(/^[._]+/, '').slice(0, 64);
}

/**
 * The cache a machine uses, from its /etc/os-release and architecture:
 * "debian-bookworm-amd64", "fedora-43-arm64", "arch-rolling-amd64". The release is
 * VERSION_CODENAME, else VERSION_ID, else "rolling" (Arch has neither), so a bookworm
 * package never meets a trixie machine. Undefined when the image names no distribution
 * (no cache then).
 */
export function cacheKey(osRelease: string, architecture: string): string | undefined {
  const id = keyPart(osReleaseField(osRelease, 'ID'));
  const release = keyPart(osReleaseField(osRelease, 'VERSION_CODENAME') || osReleaseField(osRelease, 'VERSION_ID') || 'rolling');
  const arch = keyPart(architecture);
  if (!id || !release || !arch) return undefined;
  return `${id}-${release}-${arch}`;
}

export type Cacheable = { kind: 'package' } | { kind: 'by-hash'; sha256: string };

const PACKAGE_FILE: Readonly<Record<PackageFamily, RegExp>> = {
  apt: /\.u?deb$/,
  dnf: /\.rpm$/,
  microdnf: /\.rpm$/,
  yum: /\.rpm$/,
  zypper: /\.rpm$/,
  pacman: /\.pkg\.tar\.(zst|xz|gz)$/,
};

/**
 * Whether a download may be kept and served again: package files (their name carries
 * name, version, release and architecture; archives never publish other content under the
 * same name) and apt's content-addressed indexes. Never query strings (mirror redirectors,
 * signed URLs), never Release/InRelease/repomd.xml/.db: those change under the same URL.
 */
export function cacheable(family: PackageFamily, url: string): Cacheable | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || u.search || u.username || u.password) return undefined;
  const p = decodePath(u.pathname);
  if (p.split('/').some((seg) => seg === '..')) return undefined;
  if (family === 'apt') {
    const byHash = /\/by-hash\/SHA256\/([a-f0-9]{64})$/.exec(p);
    if (byHash) return { kind: 'by-hash', sha256: byHash[1]! };
  }
  return PACKAGE_FILE[family].test(p) ? { kind: 'package' } : undefined;
}

/**
 * The file an URL is kept under: a digest of the whole URL (so two mirrors or two paths
 * never share an entry), then the last segment, readable, for people looking in.
 */
export function entryName(url: string): string {
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 32);
  const base = decodePath(new URL(url).pathname.split('/').pop() ?? '').replace(/[^A-Za-z0-9.+~_-]/g, '_').slice(-120);
  return base ? `${digest}-${base}` : digest;
}

/**
 * RACKER_PACKAGE_CACHE_SIZE: bytes, or with a unit (k, m, g, t; powers of 1024, an optional
 * "b"/"ib"): "2g", "500M", "0" (no cache). Unset or empty: the default.
 */
export function parseCacheSize(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_CACHE_BYTES;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${CACHE_SIZE_ENV} ${JSON.stringify(text)}: use bytes or a size such as 500m or 2g (0 turns the cache off)`);
  const power = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** power);
}

export interface CacheEntry {
  path: string;
  size: number;
  /** Last use: the mtime, set when the entry is stored and each time it is served. */
  usedMs: number;
}

/**
 * Least recently used first, until what stays fits in `limit` bytes. Ties go by path, so the
 * choice does not depend on the order the directory was read in.
 */
export function chooseEvictions(entries: readonly CacheEntry[], limit: number): CacheEntry[] {
  let total = entries.reduce((n, e) => n + e.size, 0);
  const victims: CacheEntry[] = [];
  for (const e of [...entries].sort((a, b) => a.usedMs - b.usedMs || a.path.localeCompare(b.path))) {
    if (total <= limit) break;
    victims.push(e);
    total -= e.size;
  }
  return victims;
}

/**
 * The install steps of a family made to download through the cache at `proxyUrl`: all the
 * managers (apt's http method, and libcurl under dnf, microdnf, yum, zypper and pacman)
 * take the lower-case http_proxy variable. Only http_proxy: https downloads go straight to
 * the mirror (the proxy cannot see inside them, so it could not cache them). apt also gets
 * it as an option on its command line, which wins over a proxy the image's own apt.conf sets.
 */
export function throughCache(family: PackageFamily, steps: readonly (readonly string[])[], proxyUrl: string): { steps: string[][]; env: string[] } {
  const env = [`http_proxy=${proxyUrl}`];
  if (family !== 'apt') return { steps: steps.map((s) => [...s]), env };
  const option = ['-o', `Acquire::http::Proxy=${proxyUrl}`];
  return { steps: steps.map((s) => (s[0] === 'apt-get' ? [s[0], ...option, ...s.slice(1)] : [...s])), env };
}

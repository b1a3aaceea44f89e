/**
 * What kind of image source an argument of run/create/pull names. Decided by spelling
 * alone, so it is the same on every host and documented in doc/images.md:
 * - `http://…`, `https://…`: a root filesystem tarball to download (any other `scheme://`
 *   is refused);
 * - `docker-archive:PATH[:REF]`, `oci-archive:PATH[:REF]`, `oci:DIR[:REF]`: skopeo's
 *   transports (PATH ends at the first `:` after the prefix, as in skopeo);
 * - `/…`, `./…`, `../…` (or `.`/`..`): a local path, a tarball or a directory (`isDirectory`
 *   tells which; a path that does not exist counts as a tarball and is refused when used);
 * - anything else: a curated label or a registry reference (or an image ID).
 * Pure apart from the `isDirectory` question the caller answers.
 */
import { createHash } from '../startup/builtins.js';
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { redactUrl } from '../registry/redact-url.js';
import { findLabel } from './labels.js';

export type Transport = 'docker-archive' | 'oci-archive' | 'oci';

export type Source =
  | { kind: 'reference'; reference: string }
  | { kind: 'label'; label: string }
  | { kind: 'url'; url: string }
  | { kind: 'tarball'; path: string }
  | { kind: 'directory'; path: string }
  | { kind: 'transport'; transport: Transport; path: string; ref?: string };

/** Kinds that are not a registry's: they are imported/used by lib/image/from-source.ts. */
export type LocalSource = Exclude<Source, { kind: 'reference' } | { kind: 'label' }>;

const TRANSPORTS: readonly Transport[] = ['docker-archive', 'oci-archive', 'oci'];

/** The real question for classifySource: is there a directory at p (links followed)? */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isPathSpelling(arg: string): boolean {
  return arg.startsWith('/') || arg.startsWith('./') || arg.startsWith('../') || arg === '.' || arg === '..';
}

/** `cwd` makes paths absolute (the image is cached by its absolute path). */
export function classifySource(arg: string, o: { cwd: string; isDirectory: (p: string) => boolean }): Source {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(arg);
  if (scheme) {
    const s = scheme[1]!.toLowerCase();
    if (s === 'http' || s === 'https') return { kind: 'url', url: arg };
    throw new UsageError(`unsupported URL scheme ${s}:// in ${arg} (racker downloads http:// and https:// URLs)`);
  }
  const colon = arg.indexOf(':');
  const prefix = colon > 0 ? arg.slice(0, colon) : '';
  if ((TRANSPORTS as readonly string[]).includes(prefix)) {
    const rest = arg.slice(colon + 1);
    const at = rest.indexOf(':');
    const p = at < 0 ? rest : rest.slice(0, at);
    const ref = at < 0 ? undefined : rest.slice(at + 1);
    if (!p) throw new UsageError(`${prefix}: needs a path: ${prefix}:PATH[:REFERENCE]`);
    if (ref === '') throw new UsageError(`empty reference after ${prefix}:${p}:`);
    return { kind: 'transport', transport: prefix as Transport, path: path.resolve(o.cwd, p), ...(ref !== undefined ? { ref } : {}) };
  }
  if (isPathSpelling(arg)) {
    const p = path.resolve(o.cwd, arg);
    return o.isDirectory(p) ? { kind: 'directory', path: p } : { kind: 'tarball', path: p };
  }
  const bare = arg.endsWith(':latest') ? arg.slice(0, -':latest'.length) : arg;
  if (findLabel(bare)) return { kind: 'label', label: bare };
  return { kind: 'reference', reference: arg };
}

/** How a source is shown (`racker images`' SOURCE) and recorded: no password of a URL. */
export function sourceText(s: LocalSource): string {
  switch (s.kind) {
    case 'url':
      return redactUrl(s.url);
    case 'tarball':
    case 'directory':
      return s.path;
    case 'transport':
      return `${s.transport}:${s.path}${s.ref !== undefined ? `:${s.ref}` : ''}`;
  }
}


/**
 * The tag key a source's image is kept under: `localhost/source/<16 hex>:latest`, from the
 * source as written (a URL with its credentials, a path made absolute). A tarball and a
 * directory at the same path share it: whichever is there now replaces the other.
 */
export function sourceKey(s: LocalSource): string {
  const what = s.kind === 'url' ? `url ${s.url}` : s.kind === 'transport' ? `${s.transport} ${s.path}${s.ref !== undefined ? `:${s.ref}` : ''}` : `path ${s.path}`;
  return `localhost/source/${createHash('sha256').update(what).digest('hex').slice(0, 16)}:latest`;
}

export const SOURCE_KEY_PREFIX = 'localhost/source/';

export function isSourceKey(key: string): boolean {
  return key.startsWith(SOURCE_KEY_PREFIX);
}

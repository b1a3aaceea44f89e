/**
 * mmdebstrap: builds Debian-family root filesystems without a registry, straight from the archive.
 * Pure argv building and mirror resolution; running it is the caller's business.
 *
 * Synopsis (mmdebstrap 1.x): mmdebstrap [OPTION...] SUITE TARGET [MIRROR...]. TARGET is a
 * directory or a file whose extension picks the format (.tar, .tar.zst, .squashfs, …).
 * Measured here: `--variant=minbase --include=systemd,systemd-sysv,dbus bookworm DIR` ≈ 13 s.
 *
 * Ubuntu on a Debian host: mmdebstrap verifies the suite with the host's apt keyrings, which
 * know only Debian's keys, so an Ubuntu suite needs `keyring` set to the Ubuntu archive keyring,
 * /usr/share/keyrings/ubuntu-archive-keyring.gpg, from the Debian package ubuntu-keyring (in
 * trixie and later, and in bookworm-backports; bookworm itself has none). A mirror is needed too,
 * since mmdebstrap's default is deb.debian.org.
 */
import { UsageError } from '../errors.js';

export type MmdebstrapVariant = 'minbase' | 'essential' | 'apt';

export interface MmdebstrapOptions {
  suite: string;
  /** A directory, or a tarball path such as /x/rootfs.tar. */
  target: string;
  /** A mirror URI; without one mmdebstrap uses http://deb.debian.org/debian. */
  mirror?: string;
  /** Default minbase: Essential plus apt and the Priority:required set, what Docker images have. */
  variant?: MmdebstrapVariant;
  include?: readonly string[];
  components?: readonly string[];
  /** A Debian architecture name (amd64, arm64, …); default the host's. */
  architecture?: string;
  /** A keyring file or directory that replaces the host's for the initial download. */
  keyring?: string;
}

export const DEFAULT_VARIANT: MmdebstrapVariant = 'minbase';
export const MIRROR_ENV = 'RACKER_DEBIAN_MIRROR';

const SUITE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;
const MIRROR_URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;
/** --include arguments that mmdebstrap takes whole instead of splitting at commas and spaces. */
const UNSPLIT_INCLUDE = /^(?:[?!~(/]|\.\.?\/)/;

export function mmdebstrapArgv(opts: MmdebstrapOptions): string[] {
  if (!SUITE.test(opts.suite)) throw new UsageError(`invalid suite for mmdebstrap: ${JSON.stringify(opts.suite)}`);
  // "-" would mean standard output, and any other leading dash an option.
  if (opts.target === '' || opts.target.startsWith('-')) {
    throw new UsageError(`invalid target for mmdebstrap: ${JSON.stringify(opts.target)}`);
  }
  if (opts.mirror !== undefined && !MIRROR_URI.test(opts.mirror)) {
    throw new UsageError(`invalid mirror URI: ${JSON.stringify(opts.mirror)}`);
  }
  if (opts.architecture !== undefined && !ARCHITECTURE.test(opts.architecture)) {
    throw new UsageError(`invalid architecture: ${JSON.stringify(opts.architecture)}`);
  }
  if (opts.keyring !== undefined && (opts.keyring === '' || opts.keyring.startsWith('-'))) {
    throw new UsageError(`invalid keyring path: ${JSON.stringify(opts.keyring)}`);
  }
  const components = opts.components ?? [];
  for (const c of components) {
    if (!COMPONENT.test(c)) throw new UsageError(`invalid archive component: ${JSON.stringify(c)}`);
  }

  const argv = ['mmdebstrap', `--variant=${opts.variant ?? DEFAULT_VARIANT}`];
  if (opts.architecture !== undefined) argv.push(`--architectures=${opts.architecture}`);
  if (components.length > 0) argv.push(`--components=${components.join(',')}`);
  if (opts.keyring !== undefined) argv.push(`--keyring=${opts.keyring}`);
  argv.push(...includeArgs(opts.include ?? []));
  argv.push(opts.suite, opts.target);
  if (opts.mirror !== undefined) argv.push(opts.mirror);
  return argv;
}

/**
 * Plain package names go into one comma-separated --include. Paths to .deb files and apt
 * patterns each get their own, since mmdebstrap does not split those (and a comma in them
 * would otherwise break them apart).
 */
function includeArgs(include: readonly string[]): string[] {
  const names: string[] = [];
  const whole: string[] = [];
  for (const item of include) {
    if (UNSPLIT_INCLUDE.test(item)) {
      whole.push(`--include=${item}`);
    } else if (item === '' || item.startsWith('-') || /[\s,]/.test(item)) {
      throw new UsageError(`invalid package for --include: ${JSON.stringify(item)}`);
    } else {
      names.push(item);
    }
  }
  return [...(names.length > 0 ? [`--include=${names.join(',')}`] : []), ...whole];
}

/**
 * The Debian mirror to bootstrap from: RACKER_DEBIAN_MIRROR when set; else the first Debian
 * archive the host's apt already uses (so a host behind a local mirror or apt-cacher-ng keeps
 * using it); else `fallback`. `hostSources` is the text of the host's apt sources, one-line
 * (sources.list) or deb822 (*.sources) format, or several files concatenated.
 *
 * "A Debian archive" is an http(s) URI whose path ends in /debian: that is how
 * deb.debian.org, ftp.CC.debian.org and the usual mirrors and proxies are laid out, and it
 * leaves out debian-security, snapshot.debian.org (frozen in time) and third-party
 * repositories.
 */
export function resolveDebianMirror(env: NodeJS.ProcessEnv, hostSources: string | undefined, fallback: string): string {
  const fromEnv = env[MIRROR_ENV]?.trim();
  if (fromEnv) {
    if (!MIRROR_URI.test(fromEnv)) throw new UsageError(`${MIRROR_ENV} is not a mirror URI: ${JSON.stringify(fromEnv)}`);
    return stripTrailingSlash(fromEnv);
  }
  if (hostSources !== undefined) {
    const found = aptSourceUris(hostSources).find(isDebianArchive);
    if (found !== undefined) return stripTrailingSlash(found);
  }
  return fallback;
}

/** The URIs of enabled binary ("deb") sources, in the order they appear. */
export function aptSourceUris(text: string): string[] {
  const uris: string[] = [];
  let stanza: Map<string, string> | undefined;
  let lastField: string | undefined;

  const flush = (): void => {
    if (stanza) {
      const types = (stanza.get('types') ?? '').split(/\s+/);
      const enabled = (stanza.get('enabled') ?? 'yes').trim().toLowerCase();
      if (types.includes('deb') && enabled !== 'no') {
        uris.push(...(stanza.get('uris') ?? '').split(/\s+/).filter((u) => u !== ''));
      }
    }
    stanza = undefined;
    lastField = undefined;
  };

  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const trimmed = line.trim();
    if (trimmed === '') {
      flush();
      continue;
    }
    if (trimmed.startsWith('#')) continue;
    const oneLine = /^deb(-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(trimmed);
    if (oneLine) {
      flush();
      if (oneLine[1] === undefined) uris.push(oneLine[2] as string);
      continue;
    }
    if (/^\s/.test(line)) {
      // Continuation of the previous field's value.
      if (stanza && lastField !== undefined) stanza.set(lastField, `${stanza.get(lastField) ?? ''} ${trimmed}`);
      continue;
    }
    const field = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(trimmed);
    if (field) {
      stanza ??= new Map();
      lastField = (field[1] as string).toLowerCase();
      stanza.set(lastField, (field[2] as string).trim());
    }
  }
  flush();
  return uris;
}

function isDebianArchive(uri: string): boolean {
  const m = /^https?:\/\/[^/\s]+(\/\S*)$/i.exec(uri);
  return m !== null && /\/debian$/.test(stripTrailingSlash(m[1] as string));
}

function stripTrailingSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/**
 * Image references with docker's rules, ported from github.com/distribution/reference v0.6
 * (regexp.go, normalize.go, reference.go) and github.com/opencontainers/go-digest (digest
 * validation), so that `racker pull X` accepts and normalizes exactly what `docker pull X` does.
 *
 * Differences from that library, on purpose:
 *  - a reference keeps both its tag and its digest ("x/y:t@sha256:…"), like docker's Parse;
 *    ParseDockerRef would drop the tag, but `docker images` shows it, and so do we.
 *  - sha384 is accepted besides sha256 and sha512 (go-digest v1.0.0, which docker vendored for
 *    years, registers it; skopeo accepts it).
 */
import { UsageError } from '../errors.js';

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** distribution's RepositoryNameTotalLengthMax; since v0.6 it counts the path only, not the domain. */
export const REPOSITORY_NAME_MAX = 255;

const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

// --- the grammar (regexp.go), kept piece by piece so it can be compared with the Go source ---

const alphanumeric = '[a-z0-9]+';
// One or two underscores, a period, or one or more hyphens. Older versions wrote [-]* here;
// that only allows the empty separator, which accepts the same language. [-]+ avoids the
// ambiguity that makes a backtracking engine slow.
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
// IPv6 in brackets; zones (%eth0) and embedded IPv4 are not accepted, as in docker.
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
// [[:xdigit:]] admits uppercase here; go-digest rejects it afterwards with its own message.
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;
// go-digest's DigestRegexpAnchored: decides between "unsupported" and "invalid format".
const anchoredDigestRegexp = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Hex length of each digest algorithm accepted; the encoding is lowercase hex only. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export const ERR_INVALID_FORMAT = 'invalid reference format';

/**
 * Parses what a user types (`debian`, `user/app:1`, `127.0.0.1:5000/x/y@sha256:…`) into its
 * normalized form. A reference without tag and digest gets the tag "latest". Throws UsageError
 * with docker's own messages.
 */
export function parseReference(input: string): ImageReference {
  if (anchoredIdentifierRegexp.test(input)) {
    throw new UsageError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(input);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new UsageError(`${ERR_INVALID_FORMAT}: repository name (${remote}) must be lowercase`);
  }
  const ref = parseCanonical(`${domain}/${remainder}`);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** The full canonical string: "docker.io/library/debian:latest", "reg:5000/a/b@sha256:…". */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/** The name as `docker images` shows it: "debian", "user/app", "127.0.0.1:5000/racker/busybox". */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return `${ref.registry}/${ref.repository}`;
  if (ref.repository.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.repository.slice(OFFICIAL_REPO_PREFIX.length);
    // "library/foo/bar" stays as it is: only single-level official names are shortened.
    if (!rest.includes('/')) return rest;
  }
  return ref.repository;
}

/** The familiar name with tag and digest: "debian:latest", "x/y:t@sha256:…". */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${suffix(ref)}`;
}

/**
 * True for registries on this machine: localhost, 127.0.0.0/8 and ::1, with or without a port.
 * Those are the ones racker may talk to over plain HTTP without being told (like docker, which
 * treats 127.0.0.0/8 as an insecure registry by default).
 */
export function isLoopbackRegistry(registry: string): boolean {
  const value = registry.trim().toLowerCase();
  if (value === '') return false;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return false;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:[0-9]+$/.test(rest)) return false;
    return isIpv6Loopback(value.slice(1, end));
  }
  // A bare IPv6 address has several colons and no port; a host:port has one.
  if ((value.match(/:/g) ?? []).length > 1) return isIpv6Loopback(value);
  const m = /^([^:]+)(?::([0-9]+))?$/.exec(value);
  if (!m) return false;
  const hostname = m[1] as string;
  return hostname === 'localhost' || isIpv4Loopback(hostname);
}

/** Where to send registry API requests: Docker Hub's API does not live at docker.io itself. */
export function registryEndpoint(registry: string): string {
  return registry === DEFAULT_REGISTRY || registry === LEGACY_DEFAULT_REGISTRY ? DOCKER_HUB_ENDPOINT : registry;
}

// --- internals ---

function suffix(ref: ImageReference): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** normalize.go splitDockerDomain: decides whether the first component names a registry. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) {
    // A single component is never a registry, so "localhost" and "192.168.0.1:80" are names
    // on Docker Hub (the latter with tag "80"), as in docker.
    return [DEFAULT_REGISTRY, OFFICIAL_REPO_PREFIX + name];
  }
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (maybeDomain === LEGACY_DEFAULT_REGISTRY) {
    [domain, remote] = [DEFAULT_REGISTRY, maybeRemote];
  } else if (maybeDomain.includes('.') || maybeDomain.includes(':')) {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (maybeDomain.toLowerCase() !== maybeDomain) {
    // Namespaces cannot contain uppercase letters, so "Foo/bar" is read as host "Foo".
    [domain, remote] = [maybeDomain, maybeRemote];
  } else {
    [domain, remote] = [DEFAULT_REGISTRY, name];
  }
  if (domain === DEFAULT_REGISTRY && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/** reference.go Parse, on a string that already starts with its domain. */
function parseCanonical(s: string): ImageReference {
  const m = referenceRegexp.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) {
      throw new UsageError(`${ERR_INVALID_FORMAT}: repository name must be lowercase`);
    }
    throw new UsageError(ERR_INVALID_FORMAT);
  }
  const name = m[1] as string;
  const nameMatch = anchoredNameRegexp.exec(name);
  const registry = nameMatch?.[1] ?? DEFAULT_REGISTRY;
  const repository = nameMatch?.[2] ?? name;
  if (repository.length > REPOSITORY_NAME_MAX) {
    throw new UsageError(`repository name must not be more than ${REPOSITORY_NAME_MAX} characters`);
  }
  const ref: ImageReference = { registry, repository };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

/** go-digest Digest.Validate, with its messages. */
function validateDigest(digest: string): void {
  const sep = digest.indexOf(':');
  const algorithm = digest.slice(0, sep);
  const encoded = digest.slice(sep + 1);
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) {
    throw new UsageError(anchoredDigestRegexp.test(digest) ? 'unsupported digest algorithm' : 'invalid checksum digest format');
  }
  if (encoded.length !== length) throw new UsageError('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw new UsageError('invalid checksum digest format');
}

function isIpv4(hostname: string): boolean {
  const parts = hostname.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv4Loopback(hostname: string): boolean {
  return isIpv4(hostname) && hostname.startsWith('127.');
}

function isIpv6Loopback(address: string): boolean {
  const groups = expandIpv6(address);
  if (!groups) return false;
  // ::1, and the IPv4-mapped form ::ffff:127.x.y.z
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true;
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff && (groups[6] ?? 0) >> 8 === 127;
}

/** Eight 16-bit groups, or undefined when it is not an IPv6 address. */
function expandIpv6(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  // An embedded IPv4 address ("::ffff:127.0.0.1") stands for the last two groups.
  const v4 = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4) {
    const dotted = v4[1] as string;
    if (!isIpv4(dotted)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, text.length - dotted.length);
    // Drop the colon that separated it, unless that colon is half of "::".
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (known > 7) return undefined;
    return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  }
  return known === 8 ? [...head, ...tail] : undefined;
}

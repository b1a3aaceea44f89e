/** Pure argv builders for skopeo. Credentials travel in an auth file, never on argv. */

export interface SkopeoTransportOptions {
  /** false for plain-HTTP or self-signed registries (loopback registries are always plain HTTP). */
  tlsVerify: boolean;
  authFile?: string;
}

function srcFlags(o: SkopeoTransportOptions): string[] {
  const flags: string[] = [];
  if (!o.tlsVerify) flags.push('--src-tls-verify=false');
  if (o.authFile) flags.push('--src-authfile', o.authFile);
  return flags;
}

/**
 * Copy one image from a registry into a tag of the shared OCI layout.
 * timeoutSeconds bounds the whole copy: skopeo's HTTP client has no read timeout, so a
 * registry that stops sending mid-blob would otherwise hold the pull forever. On this
 * deadline skopeo cancels cleanly (its partial blob file is removed), unlike on a signal.
 */
export function copyToLayoutArgv(
  source: string,
  layout: string,
  tag: string,
  o: SkopeoTransportOptions & { timeoutSeconds?: number; platform?: { os: string; architecture: string; variant?: string } },
): string[] {
  // Global flags, accepted after the verb too: argv keeps starting with "skopeo copy".
  const timeout = o.timeoutSeconds ? ['--command-timeout', `${o.timeoutSeconds}s`] : [];
  return ['skopeo', 'copy', ...timeout, ...(o.platform ? platformFlags(o.platform) : []), '--retry-times', '2', ...srcFlags(o), `docker://${source}`, `oci:${layout}:${tag}`];
}

/**
 * The platform skopeo picks from a multi-platform index (without them, the host's). A
 * single-platform manifest is copied whatever it is: the caller checks the config after.
 */
export function platformFlags(p: { os: string; architecture: string; variant?: string }): string[] {
  return ['--override-os', p.os, '--override-arch', p.architecture, ...(p.variant ? ['--override-variant', p.variant] : [])];
}

/** The raw manifest (index or image manifest) as the registry serves it. */
export function inspectRawArgv(source: string, o: SkopeoTransportOptions): string[] {
  const flags: string[] = [];
  if (!o.tlsVerify) flags.push('--tls-verify=false');
  if (o.authFile) flags.push('--authfile', o.authFile);
  return ['skopeo', 'inspect', '--raw', ...flags, `docker://${source}`];
}

export type SkopeoFailureKind =
  | 'not-found'
  | 'unauthorized'
  | 'unreachable'
  | 'tls'
  /** --command-timeout ran out. */
  | 'timeout'
  /** A blob's bytes do not hash to its digest (or are not as long as the manifest says). */
  | 'corrupt'
  /** The connection broke off in the middle of a download. */
  | 'interrupted'
  /** The registry answered 5xx to a request skopeo made. */
  | 'server-error'
  /** A multi-platform index without the platform asked for. */
  | 'no-platform'
  | 'other';

export interface SkopeoFailure {
  kind: SkopeoFailureKind;
  /** HTTP status, for server-error. */
  status?: number;
  /** For corrupt: the digest the manifest promised and the one the bytes have. */
  expected?: string;
  actual?: string;
}

/**
 * Turn skopeo's noisy failure output into the phrase a user can act on.
 * The specific shapes come first: their text carries hex digests, in which a bare "404" or
 * "401" could appear (hence the word boundaries below too).
 */
export function parseSkopeoError(stderr: string): SkopeoFailure {
  const s = stderr.toLowerCase();
  if (/context deadline exceeded/.test(s)) return { kind: 'timeout' };
  if (/no image found in (manifest list|image index) for architecture/.test(s)) return { kind: 'no-platform' };
  const digest = /digest did not match, expected (sha256:[a-f0-9]{64}), got (sha256:[a-f0-9]{64})/.exec(s);
  if (digest) return { kind: 'corrupt', expected: digest[1]!, actual: digest[2]! };
  if (/size mismatch/.test(s)) return { kind: 'corrupt' };
  if (/happened during read|unexpected eof/.test(s)) return { kind: 'interrupted' };
  // Blobs and manifests word a 5xx differently.
  const status = /(?:invalid status code from registry|received unexpected http status:) (5\d\d)/.exec(s);
  if (status) return { kind: 'server-error', status: Number(status[1]) };
  return { kind: classifySkopeoError(stderr) };
}

/** The coarse classes, for callers that only need these (see parseSkopeoError for the rest). */
export function classifySkopeoError(stderr: string): 'not-found' | 'unauthorized' | 'unreachable' | 'tls' | 'other' {
  const s = stderr.toLowerCase();
  if (/manifest unknown|name unknown|not found|\b404\b/.test(s)) return 'not-found';
  if (/unauthorized|authentication required|\b401\b|denied/.test(s)) return 'unauthorized';
  if (/certificate|x509|tls:/.test(s)) return 'tls';
  if (/connection refused|no such host|i\/o timeout|network is unreachable|dial tcp|eof/.test(s)) return 'unreachable';
  return 'other';
}

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

/** Copy one image from a registry into a tag of the shared OCI layout. */
export function copyToLayoutArgv(source: string, layout: string, tag: string, o: SkopeoTransportOptions): string[] {
  return ['skopeo', 'copy', '--retry-times', '2', ...srcFlags(o), `docker://${source}`, `oci:${layout}:${tag}`];
}

/** The raw manifest (index or image manifest) as the registry serves it. */
export function inspectRawArgv(source: string, o: SkopeoTransportOptions): string[] {
  const flags: string[] = [];
  if (!o.tlsVerify) flags.push('--tls-verify=false');
  if (o.authFile) flags.push('--authfile', o.authFile);
  return ['skopeo', 'inspect', '--raw', ...flags, `docker://${source}`];
}

/** Turn skopeo's noisy failure output into the phrase a user can act on. */
export function classifySkopeoError(stderr: string): 'not-found' | 'unauthorized' | 'unreachable' | 'tls' | 'other' {
  const s = stderr.toLowerCase();
  if (/manifest unknown|name unknown|not found|404/.test(s)) return 'not-found';
  if (/unauthorized|authentication required|401|denied/.test(s)) return 'unauthorized';
  if (/certificate|x509|tls:/.test(s)) return 'tls';
  if (/connection refused|no such host|i\/o timeout|network is unreachable|dial tcp|eof/.test(s)) return 'unreachable';
  return 'other';
}

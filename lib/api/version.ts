/**
 * Engine API versions: which ones racker answers, and how a request's /v1.xx/ prefix is
 * checked, like dockerd does it. Clients read API-Version from /_ping and use the lower of
 * theirs and ours (the docker CLI 20.10 speaks 1.41, 28.x 1.50).
 */

/** The newest version whose behaviour racker implements. */
export const MAX_API_VERSION = '1.43';
/** The oldest version racker accepts (dockerd's own minimum). */
export const MIN_API_VERSION = '1.24';

/** Compare "1.41" and "1.9" numerically: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface VersionedPath {
  /** The path without its version prefix ("/containers/json"). */
  path: string;
  /** The version the client asked for, or the newest when it named none. */
  version: string;
  /** Set when the prefix names a version racker does not serve: dockerd's 400 message. */
  error?: string;
}

/** Split "/v1.41/containers/json" into the version and the path, and check the version. */
export function splitVersion(rawPath: string): VersionedPath {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(rawPath);
  if (!m) return { path: rawPath, version: MAX_API_VERSION };
  const version = m[1]!;
  const path = m[2] ?? '/';
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    return { path, version, error: `client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}` };
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    return {
      path,
      version,
      error: `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    };
  }
  return { path, version };
}

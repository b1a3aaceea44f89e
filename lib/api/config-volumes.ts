/**
 * A create body's `Config.Volumes` (`{"/data": {}}`): docker's anonymous volumes. That is
 * where the docker CLI puts `-v /data` and docker-py `volumes=['/data']` — not in
 * HostConfig.Binds — so dockerd makes one volume per path. A path a bind or a mount of the
 * body already serves is left to it, as dockerd does.
 */
import path from 'node:path';
import { ApiError } from './errors.js';

/** Where a -v spec ("/data", "NAME:/data", "/host:/data:ro") is mounted in the container. */
function destination(spec: string): string {
  const parts = spec.split(':');
  return path.posix.normalize(parts.length === 1 ? parts[0]! : parts[1]!).replace(/(.)\/+$/, '$1');
}

/** The anonymous volume specs (bare paths) to add to `specs` for `configVolumes`. */
export function anonymousVolumesFrom(configVolumes: unknown, specs: readonly string[]): string[] {
  if (configVolumes === undefined || configVolumes === null) return [];
  if (typeof configVolumes !== 'object' || Array.isArray(configVolumes)) throw new ApiError(400, 'Volumes must be an object of container paths ({"/data": {}})');
  const served = new Set(specs.map(destination));
  const out: string[] = [];
  for (const p of Object.keys(configVolumes)) {
    if (!path.posix.isAbsolute(p) || p.includes(':') || p.includes('\0')) throw new ApiError(400, `invalid volume specification: '${p}': the container path must be absolute`);
    const dest = destination(p);
    if (dest === '/') throw new ApiError(400, `invalid volume specification: '${p}': destination can't be '/'`);
    if (served.has(dest)) continue;
    served.add(dest);
    out.push(dest);
  }
  return out;
}

/**
 * The package cache as a probe uses it: for one machine (its key from the machine's
 * os-release and architecture), a proxy started around each package's install steps, the
 * cache brought back within its bound afterwards, and one line of evidence saying what came
 * from where.
 */
import type { Context } from '../../context.js';
import type { PackageFamily } from '../../image/labels.js';
import { humanSize } from '../../format/human.js';
import { CACHE_SIZE_ENV, cacheKey, parseCacheSize, throughCache } from './policy.js';
import { startCacheProxy } from './proxy.js';
import { evictPackages, PackageCache } from './store.js';

export interface DownloadCache {
  /** The steps rewritten to download through the cache, the environment they need, and finish(), which stops it and reports. */
  begin(steps: readonly (readonly string[])[]): Promise<{ steps: string[][]; env: string[]; finish(): Promise<string> }>;
}

/** The cache for a machine, or undefined: the cache is off (size 0) or the image names no distribution. */
export function packageCacheFor(ctx: Context, machine: { family: PackageFamily; osRelease: string; architecture: string }): DownloadCache | undefined {
  const limit = parseCacheSize(ctx.env[CACHE_SIZE_ENV]);
  const key = cacheKey(machine.osRelease, machine.architecture);
  if (limit === 0 || !key) return undefined;
  const cache = new PackageCache(ctx.paths, key);
  return {
    begin: async (steps) => {
      const proxy = await startCacheProxy(cache, machine.family, ctx.log);
      const wrapped = throughCache(machine.family, steps, proxy.url);
      return {
        ...wrapped,
        finish: async () => {
          await proxy.close();
          const evicted = await evictPackages(ctx.paths, limit);
          const s = proxy.stats;
          const parts = [
            `package cache ${key}: ${s.hits} from the cache (${humanSize(s.hitBytes)})`,
            `${s.downloads} downloaded (${humanSize(s.downloadBytes)})`,
            `${s.stored} kept`,
            ...(evicted.length ? [`${evicted.length} evicted (over ${humanSize(limit)})`] : []),
          ];
          return parts.join(', ');
        },
      };
    },
  };
}

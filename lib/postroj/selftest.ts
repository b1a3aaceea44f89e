/**
 * postroj selftest: a fixed, meaningful probe set over many images, `jobs` at a time.
 * Each machine boots in its own network namespace, so every nginx listens on its own
 * port 80 without conflict.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { LABELS, PACKAGE_FAMILIES, type PackageFamily } from '../image/labels.js';
import { pkgprobe, validateSpec, type ProbeSpec } from './pkgprobe.js';
import type { ImageReport } from './report.js';

/** What every distribution must pass: its virtualization is seen, a package from its own
 * repository installs, the package's unit starts, and its HTTP service answers. */
export function selftestSpec(timeoutMs: number, bootTimeoutSeconds: number, platform?: string): ProbeSpec {
  return {
    ...(platform ? { platform } : {}),
    // curl too: the HTTP probe runs it inside, and plain (non-label) images may lack it.
    packages: ['curl', 'nginx'],
    units: ['nginx'],
    network: ['http://localhost:80/'],
    commands: ['hostnamectl | grep -q "Virtualization: systemd-nspawn"'],
    http: { status: '200', body: '[Nn]ginx' },
    timeoutMs,
    bootTimeoutSeconds,
  };
}

/** --images a,b (labels or references) or --family F; default: every curated label. */
export function selectImages(images: string | undefined, family: string | undefined): string[] {
  if (images && family) throw new UsageError('--images and --family are mutually exclusive');
  if (family) {
    if (!PACKAGE_FAMILIES.includes(family as PackageFamily)) throw new UsageError(`unknown family ${family} (one of ${PACKAGE_FAMILIES.join(', ')})`);
    return LABELS.filter((l) => l.family === family).map((l) => l.name);
  }
  if (images) {
    const list = images.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.length) throw new UsageError('--images is empty');
    return list;
  }
  return LABELS.map((l) => l.name);
}

/** Run `work` over `items`, at most `jobs` at a time, keeping the input order in the result. */
export async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

export async function selftest(
  ctx: Context,
  images: string[],
  opts: { jobs: number; timeoutMs: number; bootTimeoutSeconds: number; platform?: string; status?: (l: string) => void; signal?: AbortSignal },
): Promise<ImageReport[]> {
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) throw new UsageError(`--jobs must be a positive integer (got ${opts.jobs})`);
  const spec = selftestSpec(opts.timeoutMs, opts.bootTimeoutSeconds, opts.platform);
  validateSpec(spec);
  return pool(images, opts.jobs, async (image) => {
    if (opts.signal?.aborted) return { image, ok: false, durationMs: 0, probes: [], error: 'interrupted' };
    opts.status?.(`${image}: starting`);
    const report = await pkgprobe(ctx, image, spec, { ...(opts.status ? { status: (l: string) => opts.status!(`${image}: ${l}`) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    opts.status?.(`${image}: ${report.ok ? 'PASS' : 'FAIL'}`);
    return report;
  });
}

/** The labels as a CI job matrix: one job per distribution. */
export function matrix(images: string[]): { include: { image: string; family: string; source: string }[] } {
  return {
    include: images.map((name) => {
      const label = LABELS.find((l) => l.name === name);
      if (!label) throw new UsageError(`unknown label ${name} (see postroj list-images)`);
      return { image: label.name, family: label.family, source: label.source };
    }),
  };
}

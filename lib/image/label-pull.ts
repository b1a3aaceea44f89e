/**
 * Pulling a curated label: the distribution's base image, provisioned (systemd, curl,
 * CA certificates, package tools) inside a non-boot container, stored as its own image.
 * Debian-family labels can instead be bootstrapped from the archive with mmdebstrap,
 * which is what works on machines that reach only a Debian mirror.
 */
import { createHash } from '../startup/builtins.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RegistryUnreachableError, UsageError } from '../errors.js';
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { mmdebstrapArgv, resolveDebianMirror } from '../tools/mmdebstrap.js';
import { nspawnRunArgv } from '../tools/nspawn.js';
import type { Label } from './labels.js';
import { labelKey } from './names.js';
import { PROVISION_PACKAGES, provisionPlan } from './provision.js';
import { pullReference, type PullOptions, type PullResult } from './pull.js';
import { parseReference } from '../registry/reference.js';
import { debianArchitecture, formatPlatform, hostPlatform, platformOf, samePlatform, type Platform } from './platform.js';
import { requireRunnable } from './binfmt.js';
import { cleanScratch } from './scratch.js';
import { commitImage, hasSystemd, imageExists, nameLock, readImage, readTags, retag, scratchDir, treeSize, type ImageRecord } from './store.js';

export type LabelSource = 'auto' | 'registry' | 'bootstrap';

export interface LabelPullOptions extends PullOptions {
  source?: LabelSource;
}

export async function pullLabel(ctx: Context, label: Label, opts: LabelPullOptions = {}): Promise<PullResult> {
  const source = opts.source ?? 'auto';
  if (source === 'bootstrap' && !label.bootstrap) {
    throw new UsageError(`label ${label.name} has no bootstrap source (only Debian-family labels do)`);
  }
  if (source !== 'bootstrap') {
    try {
      return await provisionFromRegistry(ctx, label, opts);
    } catch (err) {
      if (!(err instanceof RegistryUnreachableError) || source === 'registry' || !label.bootstrap) throw err;
      ctx.log.info(`${err.message}; bootstrapping ${label.name} from the Debian archive instead`);
    }
  }
  return bootstrap(ctx, label, opts);
}

async function provisionFromRegistry(ctx: Context, label: Label, opts: LabelPullOptions): Promise<PullResult> {
  const base = await pullReference(ctx, parseReference(label.source), opts);
  const key = labelKey(label.name);
  const status = opts.status ?? (() => {});
  return withLock(ctx.paths.lock(nameLock(key)), async () => {
    const current = (await readTags(ctx.paths))[key];
    // The label is current when it was provisioned from the base image we have now (one per platform).
    if (!opts.force && current && current.repoDigest === base.id && imageExists(ctx.paths, current.id)) {
      status(`Status: Image is up to date for ${label.name}`);
      return { key, id: current.id, digest: base.digest, updated: false };
    }
    const baseImage = (await readImage(ctx.paths, base.id))!;
    const platform = { architecture: baseImage.architecture, variant: baseImage.variant };
    // The install steps run the image's own package tools: emulated for a foreign base
    // (asked for now, or pulled with --platform before and still current).
    await requireEmulation(platformOf(baseImage) ?? opts.platform ?? hostPlatform(), label.name);
    status(`${label.name}: Provisioning ${label.family} packages`);
    const dir = await scratchDir(ctx.paths, 'provision');
    try {
      const rootfs = path.join(dir, 'rootfs');
      // A copy, not an overlay: a label image stands on its own, and pull time is
      // allowed to be proportional to image size (container start is not).
      await ctx.run(['cp', '-a', '--reflink=auto', ctx.paths.imageRootfs(base.id), rootfs]);
      await runPlan(ctx, label, rootfs, opts.progress);
      const id = contentId({ base: base.id, label: label.name, created: ctx.clock().toISOString() });
      await commitImage(ctx.paths, dir, {
        ...(await describe(ctx, id, rootfs, baseImage.config, platform)),
        origin: { kind: 'label', label: label.name, via: 'registry', base: label.source },
      });
      await retag(ctx, key, { id, repoDigest: base.id, updated: ctx.clock().toISOString() });
      status(`Status: Downloaded newer image for ${label.name}`);
      return { key, id, digest: base.digest, updated: true };
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
  });
}

async function runPlan(ctx: Context, label: Label, rootfs: string, progress?: (line: string) => void): Promise<void> {
  const plan = provisionPlan(label.family);
  for (const step of plan.steps) {
    progress?.(`${label.name}: ${step.join(' ')}`);
    await ctx.run(nspawnRunArgv({ directory: rootfs, command: step, env: plan.env, register: false }));
  }
}

async function bootstrap(ctx: Context, label: Label, opts: LabelPullOptions): Promise<PullResult> {
  const boot = label.bootstrap!;
  const key = labelKey(label.name);
  const status = opts.status ?? (() => {});
  await cleanScratch(ctx.paths);
  return withLock(ctx.paths.lock(nameLock(key)), async () => {
    const current = (await readTags(ctx.paths))[key];
    const want = opts.platform ?? hostPlatform();
    const stored = current && imageExists(ctx.paths, current.id) ? await readImage(ctx.paths, current.id) : undefined;
    if (!opts.force && current && stored && (!opts.platform || samePlatform(stored, want))) {
      status(`Status: Image is up to date for ${label.name}`);
      return { key, id: current.id, digest: current.id, updated: false };
    }
    const mirror =
      label.distribution === 'debian'
        ? resolveDebianMirror(ctx.env, await hostAptSources(), boot.mirror)
        : (ctx.env.RACKER_UBUNTU_MIRROR ?? boot.mirror);
    // mmdebstrap runs the packages' maintainer scripts with the target's binaries: emulated.
    if (opts.platform) await requireEmulation(want, label.name);
    // The platform is said when it is not the host's (the native line stays as it was).
    const foreign = samePlatform({ architecture: want.architecture, variant: want.variant }, hostPlatform()) ? '' : ` (${formatPlatform(want)})`;
    status(`${label.name}: Bootstrapping ${boot.suite}${foreign} from ${mirror}`);
    const dir = await scratchDir(ctx.paths, 'bootstrap');
    try {
      const rootfs = path.join(dir, 'rootfs');
      await ctx.run(
        mmdebstrapArgv({
          suite: boot.suite,
          target: rootfs,
          mirror,
          variant: 'minbase',
          include: PROVISION_PACKAGES.apt,
          ...(opts.platform ? { architecture: debianArchitecture(want) } : {}),
          ...(boot.components ? { components: boot.components } : {}),
          ...(boot.keyring ? { keyring: boot.keyring } : {}),
        }),
      );
      const id = contentId({ label: label.name, mirror, platform: formatPlatform(want), created: ctx.clock().toISOString() });
      const config = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] };
      await commitImage(ctx.paths, dir, {
        ...(await describe(ctx, id, rootfs, config, want)),
        origin: { kind: 'label', label: label.name, via: 'bootstrap' },
      });
      await retag(ctx, key, { id, updated: ctx.clock().toISOString() });
      status(`Status: Downloaded newer image for ${label.name}`);
      return { key, id, digest: id, updated: true };
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
  });
}

async function requireEmulation(p: Platform, what: string): Promise<void> {
  requireRunnable(p, `label ${what}`);
}

async function describe(
  ctx: Context,
  id: string,
  rootfs: string,
  config: ImageRecord['config'],
  platform: { architecture?: string | undefined; variant?: string | undefined },
): Promise<Omit<ImageRecord, 'origin'>> {
  const host = hostPlatform();
  const architecture = platform.architecture ?? host.architecture;
  const variant = platform.architecture ? platform.variant : host.variant;
  return {
    id,
    created: ctx.clock().toISOString(),
    size: await treeSize(rootfs),
    architecture,
    ...(variant ? { variant } : {}),
    os: 'linux',
    config,
    systemd: hasSystemd(rootfs),
  };
}

function contentId(parts: Record<string, string>): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

export async function hostAptSources(): Promise<string | undefined> {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of await fs.readdir('/etc/apt/sources.list.d')) files.push(path.join('/etc/apt/sources.list.d', f));
  } catch {
    /* no sources.list.d */
  }
  const texts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8').catch(() => '')));
  const joined = texts.join('\n');
  return joined.trim() ? joined : undefined;
}

/**
 * racker build --mkosi DIR: an mkosi configuration as an image source. mkosi makes the tree
 * in tmp/ (lib/tools/mkosi.ts); racker stores it as an image of its own (booted, when it
 * has systemd, like any system image). Nothing is stored unless mkosi succeeds.
 */
import { createHash } from '../startup/builtins.js';
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { RackerError, UsageError } from '../errors.js';
import { emit } from '../events/log.js';
import { mkosiBuildArgv } from '../tools/mkosi.js';
import { resolveDebianMirror } from '../tools/mmdebstrap.js';
import { hostAptSources } from './label-pull.js';
import { isLabelKey, resolveImageName } from './names.js';
import { cleanScratch } from './scratch.js';
import { commitImage, hasSystemd, retag, scratchDir, treeSize } from './store.js';
import { hostPlatform } from './platform.js';

export interface MkosiBuildOptions {
  dir: string;
  tags?: readonly string[];
  output?: (line: string) => void;
  signal?: AbortSignal;
}

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/**
 * The mirror to hand mkosi: racker's Debian mirror (as for bootstrapped labels) when the
 * configuration builds Debian (mkosi's default on a Debian host) and names no mirror itself.
 */
export function mirrorFor(config: string, mirror: () => string): string | undefined {
  const lines = config.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => /^Mirror\s*=/i.test(l))) return undefined;
  const dist = lines.map((l) => /^Distribution\s*=\s*(\S+)/i.exec(l)?.[1]).find(Boolean);
  return dist === undefined || dist.toLowerCase() === 'debian' ? mirror() : undefined;
}

export async function mkosiBuild(ctx: Context, o: MkosiBuildOptions): Promise<string> {
  const keys = (o.tags ?? []).map((t) => {
    const key = resolveImageName(t).key;
    if (isLabelKey(key)) throw new UsageError(`${t} is the name of a curated label and cannot be a build's tag`);
    return key;
  });
  const dir = path.resolve(o.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--mkosi ${o.dir}: no such directory`);
  const confFile = ['mkosi.conf', 'mkosi.default'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!confFile) throw new UsageError(`--mkosi ${o.dir}: no mkosi.conf in it`);
  const hostSources = await hostAptSources();
  const mirror = mirrorFor(await fs.readFile(confFile, 'utf8'), () => resolveDebianMirror(ctx.env, hostSources, DEBIAN_MIRROR));
  await cleanScratch(ctx.paths);
  const scratch = await scratchDir(ctx.paths, 'mkosi');
  try {
    const tree = path.join(scratch, 'tree');
    const workspace = path.join(scratch, 'work');
    await fs.mkdir(workspace);
    const cache = path.join(ctx.paths.lib, 'mkosi-cache');
    await fs.mkdir(cache, { recursive: true });
    const lines: string[] = [];
    const show = (l: string) => {
      lines.push(l);
      o.output?.(l);
    };
    const result = await ctx.run(mkosiBuildArgv({ directory: dir, output: tree, workspace, cache, ...(mirror ? { mirror } : {}) }), {
      reject: false,
      onLine: show,
      onStderrLine: show,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (o.signal?.aborted) throw new RackerError('build interrupted', { exitCode: 130 });
    if (result.exitCode !== 0) {
      // mkosi's own failure line ("‣ Error: …"), else its last line.
      const err = [...lines].reverse().find((l) => /Error:/.test(l)) ?? lines[lines.length - 1] ?? `mkosi exited with status ${result.exitCode}`;
      throw new RackerError(err.replace(/^‣\s*/, '').replace(/^Error:\s*/, ''), { exitCode: 1 });
    }
    const image = path.join(scratch, 'image');
    await fs.mkdir(image);
    await fs.rename(tree, path.join(image, 'rootfs'));
    const rootfs = path.join(image, 'rootfs');
    const created = ctx.clock().toISOString();
    const id = `sha256:${createHash('sha256').update(JSON.stringify({ mkosi: dir, created })).digest('hex')}`;
    const systemd = hasSystemd(rootfs);
    await commitImage(ctx.paths, image, {
      id,
      created,
      size: await treeSize(rootfs),
      architecture: hostPlatform().architecture,
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...(systemd ? {} : { Cmd: ['/bin/sh'] }) },
      origin: { kind: 'build', builder: 'mkosi' },
      systemd,
    });
    for (const key of keys) await retag(ctx, key, { id, updated: created });
    emit(ctx, { type: 'image', action: 'build', id, attributes: { name: o.tags?.[0] ?? id } });
    return id;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

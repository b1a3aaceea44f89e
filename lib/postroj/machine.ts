/**
 * A probe machine: a booted racker container of the image under test, with a unique
 * name (so parallel runs never collide), removed afterwards whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { createContainer } from '../container/create.js';
import { startDetached } from '../container/detached.js';
import { execCapture } from '../container/exec-in.js';
import { readContainer, type ContainerRecord } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { TestbedError } from '../errors.js';
import { resolveImageName } from '../image/names.js';
import type { PackageFamily } from '../image/labels.js';
import type { ProbeMachine } from '../../probes/types.js';

/** os-release ID / ID_LIKE → package family, for images that are not curated labels. */
export function familyFromOsRelease(text: string, hasCommand: (name: string) => boolean): PackageFamily | undefined {
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1] ?? '';
  const ids = `${field('ID')} ${field('ID_LIKE')}`.toLowerCase().split(/\s+/);
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'apt';
  if (ids.some((i) => i === 'suse' || i.startsWith('opensuse') || i === 'sles')) return 'zypper';
  if (ids.includes('arch')) return 'pacman';
  if (ids.some((i) => ['fedora', 'rhel', 'centos'].includes(i)) || field('ID') === 'amzn') {
    if (hasCommand('dnf')) return 'dnf';
    if (hasCommand('microdnf')) return 'microdnf';
    return 'yum';
  }
  return undefined;
}

export interface Machine extends ProbeMachine {
  record: ContainerRecord;
  remove(): Promise<void>;
}

export async function startMachine(ctx: Context, image: string, opts: { bootTimeoutSeconds: number; status?: (l: string) => void }): Promise<Machine> {
  const record = await createContainer(ctx, {
    image,
    args: [],
    name: `postroj-${randomBytes(4).toString('hex')}`,
    detach: true,
    boot: true,
    pull: 'missing',
    ...(opts.status ? { status: opts.status } : {}),
  });
  let current = record;
  const remove = async () => {
    const latest = await readContainer(ctx.paths, record.id);
    if (latest) await removeContainer(ctx, latest, true);
  };
  try {
    await startDetached(ctx, record, opts.bootTimeoutSeconds);
    current = (await readContainer(ctx.paths, record.id)) ?? record;
    const exec = (command: string[], env: string[] = []) => execCapture(ctx, current, command, env);
    const name = resolveImageName(image);
    let family = name.kind === 'label' ? name.label.family : undefined;
    if (!family) {
      const osRelease = (await exec(['cat', '/etc/os-release'])).stdout;
      const present = new Set<string>();
      for (const tool of ['dnf', 'microdnf']) if ((await exec(['sh', '-c', `command -v ${tool}`])).exitCode === 0) present.add(tool);
      family = familyFromOsRelease(osRelease, (t) => present.has(t));
      if (!family) throw new TestbedError(`can't tell the package manager of ${image} from its /etc/os-release`);
    }
    const rootfs = ctx.paths.containerRootfs(record.id);
    return {
      record: current,
      family,
      exec,
      copyIn: async (hostPath, fileName) => {
        // /var/tmp, not /tmp: systemd may mount a fresh tmpfs over /tmp inside.
        const inside = `/var/tmp/postroj-${fileName}`;
        await fs.mkdir(path.join(rootfs, 'var/tmp'), { recursive: true });
        await fs.copyFile(hostPath, path.join(rootfs, inside));
        return inside;
      },
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

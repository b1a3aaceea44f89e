/**
 * A probe machine: a racker container of the image under test, with a unique name (so
 * parallel runs never collide), removed afterwards whatever happened.
 *
 * Packages are installed before the machine boots, by one-shot systemd-nspawn runs on its
 * overlay with the host's network (the archive must be reachable); the machine then boots
 * in its own network namespace, so two machines whose services both listen on port 80
 * are probed at the same time without conflict. `network: 'host'` boots on the host's
 * network instead. A member's packages go in after boot, on `network: 'bridge'` (pkgprobe.ts).
 */
import { randomBytes } from '../startup/builtins.js';
import type { Context } from '../context.js';
import { createContainer } from '../container/create.js';
import { startDetached } from '../container/detached.js';
import { execCapture, type Captured } from '../container/exec-in.js';
import { hostHasMachined } from '../container/host.js';
import { ContainerRoot } from '../fs/in-root.js';
import { readContainer, type ContainerRecord } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { mountRootfs } from '../container/rootfs.js';
import { TestbedError } from '../errors.js';
import { familyFromOsRelease, onPathIn } from '../container/family.js';
import { resolveImageName } from '../image/names.js';
import { readImage } from '../image/store.js';
import { nspawnRunArgv } from '../tools/nspawn.js';
import type { ProbeMachine } from '../../probes/types.js';
import { hostPlatform } from '../image/platform.js';

function labelOrNothing(image: string): ReturnType<typeof resolveImageName> | undefined {
  try {
    return resolveImageName(image);
  } catch {
    return undefined;
  }
}

export interface Machine extends ProbeMachine {
  record: ContainerRecord;
  /** The image's /etc/os-release ('' without one) and architecture: the package cache's key. */
  osRelease: string;
  architecture: string;
  /** Boot it (after the packages are in). Afterwards exec runs in the booted system. */
  boot(): Promise<void>;
  remove(): Promise<void>;
}

export async function prepareMachine(
  ctx: Context,
  image: string,
  opts: { bootTimeoutSeconds: number; network: 'host' | 'none' | 'bridge'; status?: (l: string) => void; platform?: string },
): Promise<Machine> {
  const record = await createContainer(ctx, {
    image,
    sources: true,
    args: [],
    name: `postroj-${randomBytes(4).toString('hex')}`,
    detach: true,
    boot: true,
    network: opts.network,
    pull: 'missing',
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(opts.status ? { status: opts.status } : {}),
  });
  let current = record;
  let booted = false;
  // One removal, however many ask (Ctrl-C's listener, which does not wait, and the caller's
  // finally block, which does and so sees its error).
  let removing: Promise<void> | undefined;
  const remove = () => {
    if (!removing) {
      removing = (async () => {
        const latest = await readContainer(ctx.paths, record.id);
        if (latest) await removeContainer(ctx, latest, true);
      })();
      removing.catch(() => undefined);
    }
    return removing;
  };
  try {
    const rootfs = await mountRootfs(ctx, record.id, record.config.imageId);
    // A URL, path or archive (from-source.ts) is no label: its os-release tells.
    const name = labelOrNothing(image);
    let family = name?.kind === 'label' ? name.label.family : undefined;
    const osRelease = ContainerRoot.with(rootfs, (root) => root.readText('/etc/os-release') ?? root.readText('/usr/lib/os-release') ?? '');
    const architecture = (await readImage(ctx.paths, record.config.imageId))?.architecture ?? hostPlatform().architecture;
    if (!family) {
      family = ContainerRoot.with(rootfs, (root) => familyFromOsRelease(osRelease, (t) => onPathIn(root, t)));
      if (!family) throw new TestbedError(`can't tell the package manager of ${image} from its /etc/os-release`);
    }
    const offline = async (command: string[], env: string[]): Promise<Captured> => {
      const r = await ctx.run(
        nspawnRunArgv({
          directory: rootfs,
          command,
          env: Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
          register: hostHasMachined(),
          machine: `${record.name}-setup`,
        }),
        { reject: false },
      );
      const stderr = r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('Attempted to remove disk file system'))
        .join('\n');
      return { exitCode: r.exitCode, stdout: r.stdout, stderr };
    };
    return {
      get record() {
        return current;
      },
      family,
      osRelease,
      architecture,
      exec: (command, env = []) => (booted ? execCapture(ctx, current, command, env) : offline(command, env)),
      copyIn: async (hostPath, fileName) => {
        // /var/tmp, not /tmp: systemd mounts a fresh tmpfs over /tmp when the machine boots.
        // Written inside the root: the image's links (var/tmp, or the file's own name) lead
        // somewhere in the container, never to a host path. Where it ended up is what the
        // package manager is told.
        return ContainerRoot.with(rootfs, (root) => root.writeFile(`/var/tmp/postroj-${fileName}`, { hostFile: hostPath }, { mode: 0o644 }));
      },
      boot: async () => {
        await startDetached(ctx, record, opts.bootTimeoutSeconds);
        current = (await readContainer(ctx.paths, record.id)) ?? record;
        if (current.state.status !== 'running') throw new TestbedError(`${image} did not boot: ${current.state.error ?? 'it exited'}`);
        booted = true;
      },
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

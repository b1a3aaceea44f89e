/**
 * postroj's probes on a warm machine (`pkgprobe --warm`): a booted machine of the image's
 * pool on network `none` (or `host`, as the probe asks), used once and ended. Only for
 * probes without packages: packages go in before boot with the host's network, and a
 * pooled machine is booted already, in its own network namespace without a route out.
 */
import type { Context } from '../context.js';
import { execCapture } from '../container/exec-in.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { resolveImageName } from '../image/names.js';
import type { Machine } from '../postroj/machine.js';
import { familyFromOsRelease, onPathIn } from '../container/family.js';
import { TestbedError } from '../errors.js';
import { releaseMachine, takeMachine } from './machines.js';
import { spawnRefill } from './refill.js';
import { poolId, readPool } from './store.js';
import { findImage, readImage } from '../image/store.js';
import { hostPlatform } from '../image/platform.js';

/** A warm machine for a probe, or undefined (the reason under --debug): the caller boots one. */
export async function warmProbeMachine(ctx: Context, image: string, o: { network: string; packages: number }): Promise<Machine | undefined> {
  const skip = (reason: string): undefined => {
    ctx.log.debug(`warm pool not used: ${reason}`);
    return undefined;
  };
  if (o.packages) return skip('packages are installed before boot, with the host network');
  const name = resolveImageName(image);
  const pool = await readPool(ctx.paths, poolId(name.key, o.network));
  if (!pool) return skip(`no pool for ${image} on network ${o.network} (racker pool create ${image} --network ${o.network})`);
  const imageId = (await findImage(ctx.paths, name.key, image).catch(() => undefined))?.record.id;
  const taken = imageId ? await takeMachine(ctx, pool, imageId) : undefined;
  // The replacement boots once the probe is done (it would share the CPU with the probe).
  const refill = () => spawnRefill(ctx, pool.id).catch((err: unknown) => ctx.log.debug(`pool refill: ${String(err)}`));
  if (!taken) {
    await refill();
    return skip(`pool for ${image} has no ready machine`);
  }
  ctx.log.debug(`warm pool: took ${taken.name} (${taken.id.slice(0, 12)})`);
  let removing: Promise<void> | undefined;
  // Killed and handed back; its supervisor removes it in the background (machines.ts).
  const remove = () => (removing ??= Promise.all([releaseMachine(ctx, taken), refill()]).then(() => undefined));
  try {
    const osRelease = ContainerRoot.with(processRoot(taken.state.leaderPid!), (root) => root.readText('/etc/os-release') ?? root.readText('/usr/lib/os-release') ?? '');
    const architecture = (await readImage(ctx.paths, taken.config.imageId))?.architecture ?? hostPlatform().architecture;
    let family = name.kind === 'label' ? name.label.family : undefined;
    family ??= ContainerRoot.with(processRoot(taken.state.leaderPid!), (root) => familyFromOsRelease(osRelease, (t) => onPathIn(root, t)));
    if (!family) throw new TestbedError(`can't tell the package manager of ${image} from its /etc/os-release`);
    return {
      record: taken,
      family,
      osRelease,
      architecture,
      exec: (command, env = []) => execCapture(ctx, taken, command, env),
      copyIn: () => Promise.reject(new TestbedError('a warm machine takes no packages')),
      boot: async () => undefined,
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

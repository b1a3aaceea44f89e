/**
 * `racker run --rm IMAGE …` on a warm machine: take a booted machine of the image's pool,
 * give it the run's record (name, command, environment, hostname), run the command in it
 * as a booted container's command runs (nsenter), end the machine, and leave the refill to
 * boot its replacement. Nothing passes between runs: each machine is a fresh overlay, used
 * once. A run the pool can't serve (compat.ts) boots as usual; `--debug` says why.
 */
import type { Context } from '../context.js';
import { RackerError, UsageError } from '../errors.js';
import { exitStatus, signalNumber } from '../exec/process.js';
import { createContainer, type CreateOptions } from '../container/create.js';
import { startExec, workingDirIn, type OutputSinks } from '../container/exec.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { enterFiles } from '../container/placement.js';
import { listContainers, writeContainer, type ContainerRecord } from '../container/record.js';
import { killContainerTree } from '../container/remove.js';
import { withLock } from '../state/lock.js';
import { resolveImageName } from '../image/names.js';
import { poolCompatible } from './compat.js';
import { releaseMachine, takeMachine } from './machines.js';
import { spawnRefill } from './refill.js';
import { poolId, readPool, type PoolDefinition } from './store.js';

export interface WarmOptions {
  /** true: only a warm machine will do (an error says why not); undefined: when one fits. */
  warm?: boolean;
  bootTimeoutSeconds: number;
  signal?: AbortSignal;
  sinks: OutputSinks;
}

/** Why not (for --debug), or the pool to take from. */
async function poolFor(ctx: Context, opts: CreateOptions): Promise<{ pool: PoolDefinition } | { reason: string }> {
  let key: string;
  try {
    key = resolveImageName(opts.image).key;
  } catch {
    return { reason: 'the image is named by ID' };
  }
  const network = opts.network ?? 'bridge';
  const pool = await readPool(ctx.paths, poolId(key, network));
  if (!pool) return { reason: `no pool for ${opts.image} on network ${network}` };
  const fit = poolCompatible(opts, pool);
  return fit.ok ? { pool } : { reason: fit.reason };
}

/** The pooled machine under the run's name and settings (its mounts and network stay its own). */
async function adopt(ctx: Context, machine: ContainerRecord, planned: ContainerRecord): Promise<ContainerRecord> {
  return withLock(ctx.paths.lock('names'), async () => {
    const holder = (await listContainers(ctx.paths)).find((c) => c.name === planned.name && c.id !== machine.id);
    if (holder) {
      throw new RackerError(`Conflict. The container name "/${planned.name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const m = machine.config;
    const record: ContainerRecord = {
      ...machine,
      name: planned.name,
      image: planned.image,
      config: { ...planned.config, binds: m.binds, network: m.network, ...(m.networkId ? { networkId: m.networkId } : {}), boot: true, autoRemove: true },
      // A member's run makes the machine theirs (a pooled machine is root's until taken).
      ...(planned.owner ? { owner: planned.owner } : {}),
    };
    await writeContainer(ctx.paths, record);
    return record;
  });
}

/** Inside the machine's UTS namespace (the host's hostname(1)), and /etc/hostname in its root, as a boot would have had it. */
async function setHostname(ctx: Context, leader: number, hostname: string): Promise<void> {
  ContainerRoot.with(processRoot(leader), (root) => root.writeFile('/etc/hostname', `${hostname}\n`, { mode: 0o644, durable: false }));
  await ctx.run(['nsenter', `--target=${leader}`, '--uts', '--', 'hostname', hostname]);
}

/** The exit code of the run, or undefined when the run should boot a machine of its own. */
export async function tryWarmRun(ctx: Context, opts: CreateOptions, w: WarmOptions): Promise<number | undefined> {
  const refuse = (reason: string): undefined => {
    if (w.warm) throw new UsageError(`--warm: ${reason}`);
    ctx.log.debug(`warm pool not used: ${reason}`);
    return undefined;
  };
  ctx.log.debug('warm pool: looking');
  const found = await poolFor(ctx, opts);
  if ('reason' in found) return refuse(found.reason);
  const { pool } = found;
  const planned = await createContainer(ctx, { ...opts, dryRun: true });
  ctx.log.debug('warm pool: planned');
  if (!planned.config.boot) return refuse('the image has no systemd: it runs in direct mode');
  if (!planned.config.command.length) return refuse('no command');
  // --warm waits for a machine while the pool boots; otherwise a cold boot is as quick.
  const deadline = Date.now() + (w.warm ? w.bootTimeoutSeconds * 1000 : 0);
  let machine = await takeMachine(ctx, pool, planned.config.imageId);
  while (!machine && Date.now() < deadline && !w.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 50));
    machine = await takeMachine(ctx, pool, planned.config.imageId);
  }
  if (!machine) {
    // Maybe its machines died, or are of an older image: the refill sees to that.
    await spawnRefill(ctx, pool.id).catch(() => undefined);
    return refuse(`pool for ${opts.image} has no ready machine`);
  }
  ctx.log.debug(`warm pool: took ${machine.name} (${machine.id.slice(0, 12)})`);
  let refilled = false;
  const refill = () => {
    if (refilled) return;
    refilled = true;
    void spawnRefill(ctx, pool.id).catch((err: unknown) => ctx.log.debug(`pool refill: ${String(err)}`));
  };
  // The replacement boots once this command has ended, or has run a while: a short command
  // does not share the CPU with a machine booting.
  const soon = setTimeout(refill, 1000);
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= releaseMachine(ctx, machine).then(() => ctx.log.debug(`warm pool: released ${machine.name}`)));
  const leader = machine.state.leaderPid!;
  const onAbort = () => killContainerTree(machine.state.nspawnPid, leader);
  w.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const record = await adopt(ctx, machine, planned);
    const c = record.config;
    await setHostname(ctx, leader, c.hostname);
    if (c.workingDir) {
      const wd = c.workingDir;
      ContainerRoot.with(processRoot(leader), (root) => workingDirIn(root, wd, true));
    }
    const exec = await startExec(
      ctx,
      { leader, cgroupProcs: enterFiles(record.state.cgroup), command: c.command, env: c.env, workingDir: c.workingDir, user: c.user, hostname: c.hostname, tty: c.tty, interactive: c.interactive },
      c.tty ? {} : w.sinks,
    );
    const code = exitStatus(await exec.ended);
    // The replacement boots while this one goes. The machine ends with the command, as a
    // booted container does: what it left running (and holding its output) goes with it.
    refill();
    await release();
    await exec.exited;
    return w.signal?.aborted ? 128 + (signalNumber(String(w.signal.reason)) ?? 2) : code;
  } finally {
    clearTimeout(soon);
    w.signal?.removeEventListener('abort', onAbort);
    refill();
    await release();
  }
}

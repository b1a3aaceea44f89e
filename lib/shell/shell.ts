/**
 * racker shell: a toolbox-like pet container per user and image. Created on first use as a
 * booted system container with the user's home bind-mounted and their account inside;
 * later calls reuse it (starting it again when it stopped), so what they install stays.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { ConflictError, ForbiddenError, NoSystemdError, NotFoundError, UsageError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { isMember } from '../access/caller.js';
import { RefusedForCaller } from '../access/policy.js';
import { invokingUser, petName, shellWorkdir, type Account } from './account.js';
import { createContainer } from '../container/create.js';
import { startDetached } from '../container/detached.js';
import { execInContainer } from '../container/exec.js';
import { findContainer, hostnameFor, liveState, type ContainerRecord } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { mergeEnv } from '../container/spec.js';
import { startContainer } from '../container/start.js';
import { callerSessionEnv, desktopBinds, desktopConfig, type DesktopConfig } from './desktop.js';
import { changeExports, checkExportable } from './exports.js';
import { prepareEntry } from './entry.js';
import { ensureHostExec, hostExecVolumes } from './host-exec.js';

export interface ShellOptions {
  image: string;
  /** Empty: the user's login shell. */
  command: string[];
  /** Remove the container after the command. */
  remove: boolean;
  /** Remove an existing container first. */
  reset: boolean;
  /** --upgrade: make it again on the newest image, keeping what can be kept (shell/upgrade.ts). */
  upgrade?: boolean;
  /** --host-pid: the command sees the host's processes (root's shells only: doc/shell.md). */
  hostPid?: boolean;
  cwd: string;
  tty: boolean;
  /** Pull progress and notes go here (stderr). */
  status: (line: string) => void;
  bootTimeoutSeconds: number;
  /** Forward the caller's desktop session (desktop.ts) to a new shell; false: --no-desktop. */
  desktop: boolean;
  /** --export-app, --export-bin, --unexport: done instead of entering. */
  exportApps?: string[];
  exportBins?: string[];
  unexport?: string[];
  /** Where --export-* say what they made (stdout). */
  print?: (line: string) => void;
}

/** Whose shell: a member's own account (never SUDO_USER, which is the service's), else sudo's invoker or root. */
export async function hostAccount(ctx: Context): Promise<Account> {
  const member = isMember(ctx.caller);
  return invokingUser(member ? {} : ctx.env, member ? ctx.caller!.uid : (process.getuid?.() ?? 0), async (key) => {
    const r = await ctx.run(['getent', 'passwd', key], { reject: false });
    return r.exitCode === 0 ? r.stdout.split('\n')[0] : undefined;
  });
}

async function existing(ctx: Context, name: string): Promise<ContainerRecord | undefined> {
  try {
    return await findContainer(ctx, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    // Root made it (sudo racker shell): a member never enters it (its binds are root's), but may want the name back.
    if (err instanceof ForbiddenError) err.hint ??= `remove it: sudo racker rm -f ${name}`;
    throw err;
  }
}

/** A new pet container of opts.image, booted. */
async function newPet(ctx: Context, opts: ShellOptions, account: Account, name: string, desktop: DesktopConfig | undefined): Promise<ContainerRecord> {
  const home = account.home && account.home !== '/' && existsSync(account.home) ? [`${account.home}:${account.home}`] : [];
  const pet = await createContainer(ctx, {
    image: opts.image,
    args: [],
    name,
    detach: true,
    boot: true,
    // racker-host-exec's socket directory and client (lib/shell/host-exec.ts); none when not built.
    volumes: [...home, ...(await hostExecVolumes(ctx))],
    ...(desktop ? { extraBinds: desktopBinds(desktop) } : {}),
    shell: { user: { uid: account.uid, gid: account.gid, name: account.name, home: account.home }, ...(desktop ? { desktop } : {}) },
    // A member's home is mounted ID-mapped (access/member-binds.ts): their account inside owns it, and writes as them.
    bindsAs: { uid: account.uid, gid: account.gid },
    hostname: hostnameFor(opts.image.replace(/^.*\//, '').replace(/:/g, '-')),
    status: opts.status,
  }).catch((err: unknown) => {
    // create's hint (--no-boot) is run's flag; shell has none.
    if (err instanceof NoSystemdError) {
      throw new NoSystemdError(`racker shell needs an image with systemd: ${opts.image} has none (for a plain shell in it: racker run --rm -it --no-boot ${opts.image} sh)`);
    }
    throw err;
  });
  await startDetached(ctx, pet, opts.bootTimeoutSeconds);
  return pet;
}

/** Find, create or start the pet container; running when this returns. */
async function petContainer(ctx: Context, opts: ShellOptions, account: Account, name: string): Promise<ContainerRecord> {
  let pet = await existing(ctx, name);
  // A member may have made a container under this name first: never enter it as someone else's shell.
  if (pet?.owner && pet.owner.uid !== account.uid) {
    throw new ConflictError(`container ${name} belongs to user ${pet.owner.name}, not to ${account.name}: it is not your shell container (remove it: racker rm -f ${name})`);
  }
  if (pet && opts.reset) {
    await removeContainer(ctx, pet, true);
    pet = undefined;
  }
  if (pet && opts.upgrade) {
    const { upgradePet } = await import('./upgrade-run.js');
    await upgradePet(ctx, opts, account, name, pet, (as, desktop) => newPet(ctx, opts, account, as, desktop));
    pet = await findContainer(ctx, name);
  }
  if (!pet) {
    // The GPU's nodes only where the owner may have them: a member's binds are nodev (access/member-binds.ts).
    const desktop = opts.desktop ? desktopConfig(callerSessionEnv(ctx.env, isMember(ctx.caller)), account, { gpu: !isMember(ctx.caller) && existsSync('/dev/dri') }) : undefined;
    await newPet(ctx, opts, account, name, desktop);
  } else {
    if (!opts.desktop && pet.config.shell?.desktop) {
      opts.status(`${name} forwards your desktop (it was made so): --no-desktop applies to a new shell (racker shell --reset --no-desktop ${opts.image})`);
    }
    if (liveState(pet).status !== 'running') await startContainer(ctx, pet, opts.bootTimeoutSeconds);
  }
  return findContainer(ctx, name);
}

export async function enterShell(ctx: Context, opts: ShellOptions): Promise<number> {
  const account = await hostAccount(ctx);
  const name = petName(account.name, opts.image);
  // In the host's PID namespace, a set-uid program of the container would be root beside the host's /proc/1/root.
  if (opts.hostPid && isMember(ctx.caller)) throw new RefusedForCaller('racker shell --host-pid is not for members of the group racker: it shows the container the host\'s processes (sudo racker shell --host-pid)');
  const exporting = Boolean(opts.exportApps?.length || opts.exportBins?.length || opts.unexport?.length);
  if (exporting) checkExportable(ctx, account, name);
  // One caller at a time creates or starts a given pet container.
  return withLock(ctx.paths.lock(`shell-${name}`), async () => {
    const pet = await petContainer(ctx, opts, account, name);
    const state = liveState(pet);
    if (!pet.config.boot) throw new UsageError(`container ${name} is not a system container`);
    if (state.status !== 'running' || !state.leaderPid) throw new ConflictError(`container ${name} is not running`);
    if (exporting) {
      await changeExports(ctx, opts, pet, account, state.leaderPid);
      return 0;
    }
    return { pet, leader: state.leaderPid };
  }).then(async (entered) => {
    if (typeof entered === 'number') return entered;
    const { pet, leader } = entered;
    const { env, shell } = await prepareEntry(ctx, pet, leader, account, opts.status);
    await ensureHostExec(ctx, pet, account);
    try {
      return await execInContainer(ctx, {
        leader,
        command: opts.command.length ? opts.command : [shell, '-l'],
        env: mergeEnv(pet.config.env, env, ctx.env),
        workingDir: shellWorkdir(opts.cwd, account.home),
        user: `${account.uid}:${account.gid}`,
        hostname: pet.config.hostname,
        tty: opts.tty,
        interactive: true,
        ...(opts.hostPid ? { hostPid: true } : {}),
      });
    } finally {
      if (opts.remove) await removeContainer(ctx, pet, true);
    }
  });
}

/**
 * racker shell: a toolbox-like pet container per user and image. Created on first use as a
 * booted system container with the user's home bind-mounted and their account inside;
 * later calls reuse it (starting it again when it stopped), so what they install stays.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { ConflictError, NoSystemdError, NotFoundError, UsageError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { isMember } from '../access/caller.js';
import { invokingUser, petName, shellWorkdir, withAccount, type Account, type AccountFiles } from './account.js';
import { createContainer } from './create.js';
import { startDetached } from './detached.js';
import { execInContainer } from './exec.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { shellInRoot } from './lookup.js';
import { findContainer, hostnameFor, liveState, type ContainerRecord } from './record.js';
import { removeContainer } from './remove.js';
import { mergeEnv } from './spec.js';
import { startContainer } from './start.js';
import { ensureHostExec, hostExecVolumes } from '../shell/host-exec.js';

export interface ShellOptions {
  image: string;
  /** Empty: the user's login shell. */
  command: string[];
  /** Remove the container after the command. */
  remove: boolean;
  /** Remove an existing container first. */
  reset: boolean;
  cwd: string;
  tty: boolean;
  /** Pull progress and notes go here (stderr). */
  status: (line: string) => void;
  bootTimeoutSeconds: number;
}

/** Whose shell: a member's own account (never SUDO_USER, which is the service's), else sudo's invoker or root. */
async function hostAccount(ctx: Context): Promise<Account> {
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
    throw err;
  }
}

/**
 * Make the caller's account exist in the running container. Read and written inside its
 * root (in-root.ts): links resolve inside it, a final link is replaced rather than
 * followed, and a path the container made unusable (a loop, /etc not a directory) is an
 * error, never a reason to write somewhere else.
 */
function installAccount(root: ContainerRoot, account: Account, shell: string): void {
  const before: AccountFiles = {
    passwd: root.readText('/etc/passwd') ?? '',
    group: root.readText('/etc/group') ?? '',
    shadow: root.readText('/etc/shadow'),
  };
  const after = withAccount(before, account, shell);
  for (const [k, mode] of [['passwd', 0o644], ['group', 0o644], ['shadow', 0o640]] as const) {
    const text = after[k];
    if (text === undefined || text === before[k]) continue;
    root.writeFile(`/etc/${k}`, text, { mode });
  }
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
  if (!pet) {
    const home = account.home && account.home !== '/' && existsSync(account.home) ? [`${account.home}:${account.home}`] : [];
    pet = await createContainer(ctx, {
      image: opts.image,
      args: [],
      name,
      detach: true,
      boot: true,
      // racker-host-exec's socket directory and client (lib/shell/host-exec.ts); none when not built.
      volumes: [...home, ...(await hostExecVolumes(ctx))],
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
  } else if (liveState(pet).status !== 'running') {
    await startContainer(ctx, pet, opts.bootTimeoutSeconds);
  }
  return findContainer(ctx, name);
}

export async function enterShell(ctx: Context, opts: ShellOptions): Promise<number> {
  const account = await hostAccount(ctx);
  const name = petName(account.name, opts.image);
  // One caller at a time creates or starts a given pet container.
  const pet = await withLock(ctx.paths.lock(`shell-${name}`), () => petContainer(ctx, opts, account, name));
  const state = liveState(pet);
  if (!pet.config.boot) throw new UsageError(`container ${name} is not a system container`);
  if (state.status !== 'running' || !state.leaderPid) throw new ConflictError(`container ${name} is not running`);
  const shell = ContainerRoot.with(processRoot(state.leaderPid), (root) => {
    const found = shellInRoot(root, account.shell);
    // root is root everywhere; anyone else gets their account written in (every time: an
    // image update or a `passwd` inside may have changed it, and it costs three small reads).
    if (account.uid !== 0) installAccount(root, account, found);
    return found;
  });
  const env = [`HOME=${account.home}`, `USER=${account.name}`, `LOGNAME=${account.name}`, `SHELL=${shell}`];
  await ensureHostExec(ctx, pet, account);
  try {
    return await execInContainer(ctx, {
      leader: state.leaderPid,
      command: opts.command.length ? opts.command : [shell, '-l'],
      env: mergeEnv(pet.config.env, env, ctx.env),
      workingDir: shellWorkdir(opts.cwd, account.home),
      user: `${account.uid}:${account.gid}`,
      hostname: pet.config.hostname,
      tty: opts.tty,
      interactive: true,
    });
  } finally {
    if (opts.remove) await removeContainer(ctx, pet, true);
  }
}

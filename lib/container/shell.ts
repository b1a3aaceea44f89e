/**
 * racker shell: a toolbox-like pet container per user and image. Created on first use as a
 * booted system container with the user's home bind-mounted and their account inside;
 * later calls reuse it (starting it again when it stopped), so what they install stays.
 */
import { existsSync, promises as fs, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { ConflictError, ForbiddenError, NoSystemdError, NotFoundError, RackerError, UsageError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { isMember } from '../access/caller.js';
import { invokingUser, petName, shellWorkdir, withAccount, type Account, type AccountFiles } from './account.js';
import { createContainer } from './create.js';
import { startDetached } from './detached.js';
import { execInContainer } from './exec.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { shellInRoot } from './lookup.js';
import { findContainer, hostnameFor, listContainers, liveState, readContainer, writeContainer, type ContainerRecord, type ShellExport } from './record.js';
import { removeContainer } from './remove.js';
import { mergeEnv } from './spec.js';
import { startContainer } from './start.js';
import { copyAsCaller } from '../access/as-caller.js';
import { RefusedForCaller } from '../access/policy.js';
import { callerSessionEnv, desktopBinds, desktopConfig, entryPlan, wildcardCookies, XAUTHORITY_INSIDE, type DesktopConfig, type EntryPlan } from '../shell/desktop.js';
import { chosenPackagesArgv, parseChosen, toReinstall, upgradeLines, type UpgradeReport } from '../shell/upgrade.js';
import { familyOfRoot } from './family.js';
import { hostEntries } from '../shell/host-files.js';
import { execCapture } from './exec-in.js';
import { renameContainer } from './rename.js';
import { installPackagesArgv, provisionPlan } from '../image/provision.js';
import type { PackageFamily } from '../image/labels.js';
import { shortId } from '../image/store.js';
import { exportApp, exportBin, matchingExports, removeExportFiles, type ExportTarget } from '../shell/exports.js';
import { ensureHostExec, hostExecVolumes } from '../shell/host-exec.js';

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

/** What an upgrade carries from the old shell to the new one. */
interface Carried {
  from: string;
  desktop?: DesktopConfig;
  exports: ShellExport[];
  family?: PackageFamily;
  chosen?: string[];
  skipped?: string;
}

/** The newest IMAGE: pulled, or the local one when it cannot be (a tag built or loaded here). */
async function newestImage(ctx: Context, opts: ShellOptions): Promise<string> {
  const { pullImageByName } = await import('../image/pull-any.js');
  const { findImage } = await import('../image/store.js');
  const { resolveImageInput } = await import('../image/names.js');
  try {
    await pullImageByName(ctx, opts.image, { status: opts.status, progress: opts.status });
  } catch (err) {
    if (!(err instanceof RackerError)) throw err;
    opts.status(`could not pull ${opts.image} (${err.message}): upgrading to the local image`);
  }
  return (await findImage(ctx.paths, resolveImageInput(opts.image).key, opts.image)).record.id;
}

/** Read what the old shell's user chose to install (it is started for it when stopped). */
async function collectFrom(ctx: Context, opts: ShellOptions, pet: ContainerRecord): Promise<Carried> {
  if (liveState(pet).status !== 'running') await startContainer(ctx, pet, opts.bootTimeoutSeconds);
  const running = await findContainer(ctx, pet.id);
  const carried: Carried = { from: shortId(pet.image.id), exports: pet.config.shell?.exports ?? [], ...(pet.config.shell?.desktop ? { desktop: pet.config.shell.desktop } : {}) };
  const family = ContainerRoot.with(processRoot(liveState(running).leaderPid!), familyOfRoot);
  const argv = family && chosenPackagesArgv(family);
  if (!family) carried.skipped = "its package manager is not one racker knows";
  else if (!argv) carried.skipped = `${family} keeps no record of the packages asked for`;
  else {
    const r = await execCapture(ctx, running, argv);
    if (r.exitCode !== 0) carried.skipped = `${argv.join(' ')}: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`;
    else Object.assign(carried, { family, chosen: parseChosen(family, r.stdout) });
  }
  return carried;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

/** Install the carried packages again in the new shell: all at once, and one by one when that fails. */
async function reinstall(ctx: Context, pet: ContainerRecord, carried: Carried, report: UpgradeReport): Promise<void> {
  const family = ContainerRoot.with(processRoot(liveState(pet).leaderPid!), familyOfRoot);
  if (!carried.family || !carried.chosen) return;
  if (family !== carried.family) {
    report.packagesSkipped = `the new image uses ${family ?? 'another package manager'}, not ${carried.family}`;
    return;
  }
  const after = await execCapture(ctx, pet, chosenPackagesArgv(family)!);
  const todo = toReinstall(carried.chosen, after.exitCode === 0 ? parseChosen(family, after.stdout) : []);
  if (!todo.length) return;
  const env = Object.entries(provisionPlan(family).env).map(([k, v]) => `${k}=${v}`);
  const install = async (packages: string[]): Promise<string | undefined> => {
    for (const step of installPackagesArgv(family, packages)) {
      const r = await execCapture(ctx, pet, step, env);
      if (r.exitCode !== 0) return lastLine(r.stderr) || `${step[0]} exited ${r.exitCode}`;
    }
    return undefined;
  };
  const why = await install(todo);
  if (!why) {
    report.reinstalled = todo;
    return;
  }
  const failed: string[] = [];
  let lastWhy = why;
  for (const p of todo) {
    const one = await install([p]);
    if (one) {
      failed.push(p);
      lastWhy = one;
    } else report.reinstalled.push(p);
  }
  if (failed.length) report.failed = { packages: failed, why: lastWhy };
}

/** Export again, in the new shell, what the old one had exported. */
async function reexport(ctx: Context, opts: ShellOptions, pet: ContainerRecord, account: Account, carried: Carried, report: UpgradeReport): Promise<void> {
  if (!carried.exports.length) return;
  const target: ExportTarget = { pet: pet.name, image: opts.image, owner: { uid: account.uid, gid: account.gid, home: account.home } };
  const made: ShellExport[] = [];
  const root = ContainerRoot.open(processRoot(liveState(pet).leaderPid!));
  try {
    for (const e of carried.exports) {
      try {
        made.push(await (e.kind === 'app' ? exportApp : exportBin)(ctx, root, target, e.name));
        report.reexported.push(e.name);
      } catch (err) {
        if (!(err instanceof RackerError)) throw err;
        report.notReexported.push(e.name);
      }
    }
  } finally {
    root.close();
  }
  const fresh = (await readContainer(ctx.paths, pet.id)) ?? pet;
  const shellConfig = fresh.config.shell ?? { user: { uid: account.uid, gid: account.gid, name: account.name, home: account.home } };
  await writeContainer(ctx.paths, { ...fresh, config: { ...fresh.config, shell: { ...shellConfig, exports: made } } });
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

/**
 * --upgrade: the new shell is made beside the old one first (under another name), so a
 * failed pull, create or boot leaves the old one as it was; then the old one goes (with its
 * exported files), the new one takes its name, and the packages and exports follow.
 */
async function upgradePet(ctx: Context, opts: ShellOptions, account: Account, name: string, old: ContainerRecord): Promise<void> {
  const newest = await newestImage(ctx, opts);
  if (newest === old.image.id) {
    opts.status(`${name} is already on the newest ${opts.image} (${shortId(newest)})`);
    return;
  }
  const carried = await collectFrom(ctx, opts, old);
  const desktop = opts.desktop ? carried.desktop : undefined;
  const made = await newPet(ctx, opts, account, `${name}-upgrading`, desktop);
  await removeContainer(ctx, await findContainer(ctx, old.id), true);
  await renameContainer(ctx, made, name);
  const pet = await findContainer(ctx, made.id);
  const report: UpgradeReport = { name, from: carried.from, to: shortId(newest), reinstalled: [], desktop: Boolean(desktop), reexported: [], notReexported: [], ...(carried.family ? { family: carried.family } : {}), ...(carried.skipped ? { packagesSkipped: carried.skipped } : {}) };
  await reinstall(ctx, pet, carried, report);
  await reexport(ctx, opts, pet, account, carried, report);
  for (const line of upgradeLines(report)) opts.status(line);
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
    await upgradePet(ctx, opts, account, name, pet);
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

/** The host's zone when /etc/localtime links into the zone database (as systemd's timedatectl keeps it). */
function hostZone(): string | undefined {
  try {
    return /\/zoneinfo\/([A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*)$/.exec(readlinkSync('/etc/localtime'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * What changes inside at each entry, as root in the container's root: the account, the
 * host's time zone (when the image has it), the X11 socket's link and the X cookie.
 * Returns the login shell and notes for the user.
 */
function prepareInside(root: ContainerRoot, account: Account, plan: EntryPlan, xauthority: Buffer | undefined, zone: string | undefined): { shell: string; notes: string[] } {
  const shell = shellInRoot(root, account.shell);
  // root is root everywhere; anyone else gets their account written in (every time: an
  // image update or a `passwd` inside may have changed it, and it costs three small reads).
  if (account.uid !== 0) installAccount(root, account, shell);
  if (zone && root.statOrNothing(`/usr/share/zoneinfo/${zone}`)?.isFile()) root.symlink('/etc/localtime', `../usr/share/zoneinfo/${zone}`);
  const notes: string[] = [];
  if (plan.x11Link) {
    // /tmp/.X11-unix is the container's own (its systemd empties it at boot): the socket is a link to the bound host directory.
    if (root.statOrNothing(plan.x11Link.target)) {
      if (!root.find(plan.x11Link.path, { follow: false })?.stat?.isSocket()) root.symlink(plan.x11Link.path, plan.x11Link.target);
    } else notes.push(`the X server's socket ${plan.x11Link.path} was not there when this shell started: restart the shell for it (racker stop NAME)`);
  }
  if (xauthority) root.writeFile(XAUTHORITY_INSIDE, xauthority, { mode: 0o600, uid: account.uid, gid: account.gid, durable: false });
  return { shell, notes };
}

/**
 * The host's /etc/hosts entries that name other machines, kept in the shell's as its
 * --add-host entries (shell/host-files.ts), so racker's rewrites of /etc/hosts keep them;
 * refreshed at each entry when the host's changed.
 */
async function followHostHosts(ctx: Context, pet: ContainerRecord, leader: number): Promise<void> {
  if (pet.config.network === 'host' || pet.config.network === 'none') return;
  const wanted = hostEntries(await fs.readFile('/etc/hosts', 'utf8').catch(() => ''));
  if (JSON.stringify(wanted) === JSON.stringify(pet.config.addHosts ?? [])) return;
  const fresh = await readContainer(ctx.paths, pet.id);
  if (!fresh) return;
  const updated: ContainerRecord = { ...fresh, config: { ...fresh.config, addHosts: wanted } };
  await writeContainer(ctx.paths, updated);
  const { hostsTextFor, writeHosts } = await import('../net/hosts.js');
  writeHosts(processRoot(leader), hostsTextFor(updated, await listContainers(ctx.paths)));
}

/** The caller's X cookie, read as them (whatever XAUTHORITY names, they could read it anyway). */
async function cookieOf(ctx: Context, account: Account, file: string): Promise<Buffer | undefined> {
  const tmp = path.join(ctx.paths.tmp, `xauthority-${process.pid}-${Date.now()}`);
  await fs.mkdir(ctx.paths.tmp, { recursive: true });
  try {
    await copyAsCaller(account, file, tmp);
    return await fs.readFile(tmp);
  } catch (err) {
    ctx.log.debug(`X authority ${file} not copied: ${String(err)}`);
    return undefined;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Exports change host files in the owner's home that run `racker shell IMAGE` as whoever
 * starts them: that reaches this very shell only when it is that user's own, without sudo.
 */
function checkExportable(ctx: Context, account: Account, name: string): void {
  if (isMember(ctx.caller) || account.uid === (process.getuid?.() ?? 0)) return;
  throw new UsageError(
    `exported apps run "racker shell" as ${account.name}, without sudo, which cannot enter ${name}: it was made with sudo. Make your shell without sudo, as a member of the group racker (doc/security.md), and export from it`,
  );
}

async function changeExports(ctx: Context, opts: ShellOptions, pet: ContainerRecord, account: Account, leader: number): Promise<void> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const target: ExportTarget = { pet: pet.name, image: opts.image, owner: { uid: account.uid, gid: account.gid, home: account.home } };
  const made: ShellExport[] = [];
  const root = ContainerRoot.open(processRoot(leader));
  try {
    for (const app of opts.exportApps ?? []) made.push(await exportApp(ctx, root, target, app));
    for (const bin of opts.exportBins ?? []) made.push(await exportBin(ctx, root, target, bin));
  } finally {
    root.close();
  }
  const fresh = (await readContainer(ctx.paths, pet.id)) ?? pet;
  const shellConfig = fresh.config.shell ?? { user: { uid: account.uid, gid: account.gid, name: account.name, home: account.home } };
  let kept = (shellConfig.exports ?? []).filter((e) => !made.some((m) => m.kind === e.kind && m.name === e.name));
  const gone: ShellExport[] = [];
  for (const name of opts.unexport ?? []) {
    const found = matchingExports(kept, name);
    if (!found.length) throw new NotFoundError(`${name} is not exported from ${pet.name}`);
    gone.push(...found);
    kept = kept.filter((e) => !found.includes(e));
  }
  // Recorded before anything is removed: a file racker made is always named by the record.
  await writeContainer(ctx.paths, { ...fresh, config: { ...fresh.config, shell: { ...shellConfig, exports: [...kept, ...made, ...gone] } } });
  const left = await removeExportFiles(ctx, target.owner, pet.name, gone);
  await writeContainer(ctx.paths, { ...fresh, config: { ...fresh.config, shell: { ...shellConfig, exports: [...kept, ...made] } } });
  for (const e of made) print(`exported ${e.name}: ${e.files.join(' ')}`);
  for (const e of gone) print(`unexported ${e.name}: ${e.files.filter((f) => !left.includes(f)).join(' ')}`);
  if (left.length) throw new ConflictError(`could not remove ${left.join(', ')}`);
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
    const session = callerSessionEnv(ctx.env, isMember(ctx.caller));
    const plan = entryPlan(session, account, pet.config.shell?.desktop, (p) => existsSync(p));
    await followHostHosts(ctx, pet, leader);
    const cookieFile = plan.copyXauthority ? await cookieOf(ctx, account, plan.copyXauthority) : undefined;
    const cookie = cookieFile && plan.display !== undefined ? wildcardCookies(cookieFile, plan.display) : undefined;
    const { shell, notes } = ContainerRoot.with(processRoot(leader), (root) => prepareInside(root, account, plan, cookie, hostZone()));
    for (const note of notes) opts.status(note.replace('NAME', pet.name));
    const env = [...plan.env, `HOME=${account.home}`, `USER=${account.name}`, `LOGNAME=${account.name}`, `SHELL=${shell}`];
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

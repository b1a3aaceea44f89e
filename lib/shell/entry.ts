/**
 * What a `racker shell` entry does inside the running shell before its command: the caller's
 * account written in, the host's time zone, the desktop session's X11 socket link and cookie
 * (desktop.ts decides which), and the host's /etc/hosts entries for other machines
 * (host-files.ts). Everything inside is read and written inside the container's root
 * (in-root.ts); host files the caller names are read as them.
 */
import { existsSync, promises as fs, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { isMember } from '../access/caller.js';
import { copyAsCaller } from '../access/as-caller.js';
import { withAccount, type Account, type AccountFiles } from './account.js';
import { shellInRoot } from '../container/lookup.js';
import { listContainers, readContainer, writeContainer, type ContainerRecord } from '../container/record.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { callerSessionEnv, entryPlan, wildcardCookies, XAUTHORITY_INSIDE, type EntryPlan } from './desktop.js';
import { hostEntries } from './host-files.js';

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
function prepareInside(root: ContainerRoot, account: Account, plan: EntryPlan, xauthority: Buffer | undefined, zone: string | undefined, runtime?: { path: string; dev: number; ino: number }): { shell: string; notes: string[] } {
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
  // Bound when the shell started: a new login's runtime directory (another directory) is not the one inside.
  if (runtime) {
    const inside = root.statOrNothing(runtime.path);
    if (!inside || inside.dev !== runtime.dev || inside.ino !== runtime.ino) {
      notes.push(`your session's runtime directory ${runtime.path} is not the one NAME started with (a new login?): restart the shell for Wayland, the session bus and sound (racker stop NAME)`);
    }
  }
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
 * Everything an entry needs done inside, and the command's environment and login shell. Notes
 * for the user (an X socket that was not there when the shell started) go to `status`.
 */
export async function prepareEntry(ctx: Context, pet: ContainerRecord, leader: number, account: Account, status: (line: string) => void): Promise<{ env: string[]; shell: string }> {
  const session = callerSessionEnv(ctx.env, isMember(ctx.caller));
  const plan = entryPlan(session, account, pet.config.shell?.desktop, (p) => existsSync(p));
  await followHostHosts(ctx, pet, leader);
  const cookieFile = plan.copyXauthority ? await cookieOf(ctx, account, plan.copyXauthority) : undefined;
  const cookie = cookieFile && plan.display !== undefined ? wildcardCookies(cookieFile, plan.display) : undefined;
  const rt = pet.config.shell?.desktop?.runtimeDir;
  const hostRt = rt ? statSync(rt, { throwIfNoEntry: false }) : undefined;
  const runtime = rt && hostRt?.isDirectory() ? { path: rt, dev: hostRt.dev, ino: hostRt.ino } : undefined;
  const { shell, notes } = ContainerRoot.with(processRoot(leader), (root) => prepareInside(root, account, plan, cookie, hostZone(), runtime));
  for (const note of notes) status(note.replaceAll('NAME', pet.name));
  // No cookie copied (unreadable, or none for this display): XAUTHORITY would name a stale or missing file.
  const env = cookie ? plan.env : plan.env.filter((e) => !e.startsWith('XAUTHORITY='));
  return { env: [...env, `HOME=${account.home}`, `USER=${account.name}`, `LOGNAME=${account.name}`, `SHELL=${shell}`], shell };
}

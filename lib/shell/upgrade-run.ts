/**
 * Running `racker shell --upgrade` (the pure half is upgrade.ts): the newest image pulled (or
 * the local one), what the user chose to install read from the old shell, the new shell made
 * beside it, swapped in, and the packages and exports carried over.
 */
import type { Context } from '../context.js';
import { RackerError } from '../errors.js';
import type { Account } from './account.js';
import { execCapture } from '../container/exec-in.js';
import { familyOfRoot } from '../container/family.js';
import { findContainer, liveState, type ContainerRecord, type ShellExport } from '../container/record.js';
import { removeContainer } from '../container/remove.js';
import { renameContainer } from '../container/rename.js';
import { startContainer } from '../container/start.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import type { PackageFamily } from '../image/labels.js';
import { installPackagesArgv, provisionPlan } from '../image/provision.js';
import { shortId } from '../image/store.js';
import type { DesktopConfig } from './desktop.js';
import { exportApp, exportBin, recordExports, type ExportTarget } from './exports.js';
import { chosenPackagesArgv, parseChosen, toReinstall, upgradeLines, type UpgradeReport } from './upgrade.js';

/** What of racker shell's options an upgrade uses. */
export interface UpgradeOptions {
  image: string;
  /** false: --no-desktop (the new shell gets none, whatever the old one had). */
  desktop: boolean;
  status: (line: string) => void;
  bootTimeoutSeconds: number;
}

/** Makes and boots a new pet container of the image under `name` (shell.ts). */
export type NewPet = (name: string, desktop: DesktopConfig | undefined) => Promise<ContainerRecord>;

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
async function newestImage(ctx: Context, opts: UpgradeOptions): Promise<string> {
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
async function collectFrom(ctx: Context, opts: UpgradeOptions, pet: ContainerRecord): Promise<Carried> {
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
async function reexport(ctx: Context, opts: UpgradeOptions, pet: ContainerRecord, account: Account, carried: Carried, report: UpgradeReport): Promise<void> {
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
  await recordExports(ctx, pet, account, made);
}

/**
 * --upgrade: the new shell is made beside the old one first (under another name), so a
 * failed pull, create or boot leaves the old one as it was; then the old one goes (with its
 * exported files), the new one takes its name, and the packages and exports follow.
 */
export async function upgradePet(ctx: Context, opts: UpgradeOptions, account: Account, name: string, old: ContainerRecord, newPet: NewPet): Promise<void> {
  const newest = await newestImage(ctx, opts);
  if (newest === old.image.id) {
    opts.status(`${name} is already on the newest ${opts.image} (${shortId(newest)})`);
    return;
  }
  const carried = await collectFrom(ctx, opts, old);
  const desktop = opts.desktop ? carried.desktop : undefined;
  const made = await newPet(`${name}-upgrading`, desktop);
  await removeContainer(ctx, await findContainer(ctx, old.id), true);
  await renameContainer(ctx, made, name);
  const pet = await findContainer(ctx, made.id);
  const report: UpgradeReport = { name, from: carried.from, to: shortId(newest), reinstalled: [], desktop: Boolean(desktop), reexported: [], notReexported: [], ...(carried.family ? { family: carried.family } : {}), ...(carried.skipped ? { packagesSkipped: carried.skipped } : {}) };
  await reinstall(ctx, pet, carried, report);
  await reexport(ctx, opts, pet, account, carried, report);
  for (const line of upgradeLines(report)) opts.status(line);
}


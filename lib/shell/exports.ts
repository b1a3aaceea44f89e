/**
 * `racker shell --export-app APP` and `--export-bin PROGRAM`: an application or a program
 * installed in a shell container, started from the host as if it were the host's — a desktop
 * entry in the owner's ~/.local/share/applications (with its icon) or a launcher script in
 * ~/.local/bin, each running `racker shell IMAGE -- COMMAND`. distrobox-export's model.
 *
 * The container's files are read inside its root (in-root.ts: its links stay its own); the
 * host files are written and removed by a process running as the owner (access/as-caller.ts),
 * so a hostile container or a link the owner planted can make racker write nothing the owner
 * could not write themselves. Every file made is recorded in the container's record and
 * removed with the shell.
 */
import path from 'node:path';
import type { Context } from '../context.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { asCallerArgv, writeAsCaller } from '../access/as-caller.js';
import { readContainer, writeContainer, type ContainerRecord, type ShellExport } from '../container/record.js';
import type { Account } from './account.js';
import { isMember } from '../access/caller.js';
import { ContainerRoot as Root, processRoot } from '../fs/in-root.js';

/** In every file racker writes, so a file of the owner's own is never taken for one of racker's. */
export const EXPORT_MARK = 'X-Racker-Shell';

export interface ExportTarget {
  /** The shell container's name (racker rm NAME removes it and these files). */
  pet: string;
  /** The image as `racker shell` takes it: what the launcher names. */
  image: string;
  owner: { uid: number; gid: number; home: string };
}

/** A file name's safe form: letters, digits, dot, dash, underscore. Pure. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '');
}

/** Quoted for a desktop entry's Exec key (its own rules: double quotes, \\ " ` $ escaped). Pure. */
export function execQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/([\\"`$])/g, '\\$1')}"`;
}

/** Quoted for sh. Pure. */
export function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The words that run a command in the shell from the host. Pure. */
export function launcherWords(image: string): string[] {
  return ['racker', 'shell', image, '--'];
}

/**
 * A container's desktop entry made into the host's: every Exec runs through `racker shell`,
 * TryExec and D-Bus activation (which name the container's paths and bus) go, the names say
 * where the app lives, and the mark says it is racker's. `icon` replaces Icon when the icon
 * file was copied to the host. Pure.
 */
export function hostDesktopEntry(text: string, t: ExportTarget, icon?: string): string {
  const prefix = launcherWords(t.image).map(execQuote).join(' ');
  const out: string[] = [];
  let group = '';
  for (const line of text.split('\n')) {
    const g = /^\[(.+)\]\s*$/.exec(line);
    if (g) {
      group = g[1]!;
      out.push(line);
      if (group === 'Desktop Entry') out.push(`${EXPORT_MARK}=${t.pet}`);
      continue;
    }
    const kv = /^([A-Za-z0-9-]+(?:\[[^\]]+\])?)\s*=\s*(.*)$/.exec(line);
    if (!kv || (group !== 'Desktop Entry' && !group.startsWith('Desktop Action '))) {
      out.push(line);
      continue;
    }
    const [, key, value] = kv as unknown as [string, string, string];
    if (key === 'TryExec' || key === 'DBusActivatable' || key === EXPORT_MARK) continue;
    if (key === 'Exec') out.push(`Exec=${prefix} ${value}`);
    else if (group === 'Desktop Entry' && /^Name(\[.+\])?$/.test(key)) out.push(`${key}=${value} (on ${t.image})`);
    else if (group === 'Desktop Entry' && key === 'Icon' && icon) out.push(`Icon=${icon}`);
    else out.push(line);
  }
  return out.join('\n');
}

/** A launcher script for one program in the shell. Pure. */
export function binLauncher(program: string, t: ExportTarget): string {
  return [
    '#!/bin/sh',
    `# ${EXPORT_MARK}=${t.pet}: ${program} in racker shell ${t.image} (racker shell --unexport ${program} ${t.image} removes this)`,
    `exec ${[...launcherWords(t.image), program].map(shQuote).join(' ')} "$@"`,
    '',
  ].join('\n');
}

/** APP's desktop entry inside: /usr/share/applications/APP.desktop (APP may end in .desktop), or under /usr/local/share. */
export function findDesktopEntry(root: Root, app: string): { path: string; text: string } {
  const id = app.replace(/\.desktop$/, '');
  if (!id || id.includes('/') || id === '.' || id === '..') throw new UsageError(`invalid application name: ${app} (the name of its .desktop file, without a path)`);
  for (const dir of ['/usr/share/applications', '/usr/local/share/applications']) {
    const p = `${dir}/${id}.desktop`;
    const text = root.readText(p, 1 << 20);
    if (text !== undefined) return { path: p, text };
  }
  throw new NotFoundError(`no application ${id} in the shell: /usr/share/applications/${id}.desktop does not exist (install it first)`);
}

/** The icon file for an entry's Icon value, inside: the path it names, or the theme's largest. */
export function findIcon(root: Root, icon: string | undefined): { path: string; data: Buffer } | undefined {
  if (!icon) return undefined;
  const candidates = path.posix.isAbsolute(icon)
    ? [icon]
    : [
        `/usr/share/icons/hicolor/scalable/apps/${icon}.svg`,
        ...['512x512', '256x256', '128x128', '64x64', '48x48', '32x32'].map((s) => `/usr/share/icons/hicolor/${s}/apps/${icon}.png`),
        `/usr/share/pixmaps/${icon}.svg`,
        `/usr/share/pixmaps/${icon}.png`,
        `/usr/share/pixmaps/${icon}.xpm`,
      ];
  for (const p of candidates) {
    if (root.statOrNothing(p)?.isFile()) {
      const data = root.readFile(p, 4 << 20);
      if (data) return { path: p, data };
    }
  }
  return undefined;
}

function iconValue(text: string): string | undefined {
  return /^Icon\s*=\s*(.+)$/m.exec(text)?.[1]?.trim();
}

async function mkdirAsOwner(ctx: Context, t: ExportTarget, dir: string): Promise<void> {
  const r = await ctx.run(asCallerArgv(t.owner, ['mkdir', '-p', '--', dir]), { reject: false });
  if (r.exitCode !== 0) throw new ConflictError(`cannot make ${dir}: ${r.stderr.trim().replace(/^mkdir: /, '')}`);
}

/** A file of the owner's that racker did not write is never replaced. */
async function refuseForeign(ctx: Context, t: ExportTarget, file: string): Promise<void> {
  const r = await ctx.run(asCallerArgv(t.owner, ['cat', '--', file]), { reject: false });
  if (r.exitCode === 0 && !r.stdout.includes(`${EXPORT_MARK}=${t.pet}`)) {
    throw new ConflictError(`${file} exists and is not racker's export from ${t.pet}: remove or rename it first`);
  }
}

async function writeOwnerFile(t: ExportTarget, file: string, data: string | Buffer): Promise<void> {
  await writeAsCaller(t.owner, file, async (out) => {
    await new Promise<void>((resolve, reject) => out.write(data, (err) => (err ? reject(err) : resolve())));
  });
}

/** Export APP's desktop entry (and icon) from the running shell whose root is `root`. */
export async function exportApp(ctx: Context, root: Root, t: ExportTarget, app: string): Promise<ShellExport> {
  const entry = findDesktopEntry(root, app);
  const id = path.posix.basename(entry.path, '.desktop');
  const apps = path.join(t.owner.home, '.local/share/applications');
  const file = path.join(apps, `racker-${slug(t.pet)}-${slug(id)}.desktop`);
  const files: string[] = [];
  const icon = findIcon(root, iconValue(entry.text));
  let iconFile: string | undefined;
  if (icon) {
    const icons = path.join(t.owner.home, '.local/share/icons');
    iconFile = path.join(icons, `racker-${slug(t.pet)}-${slug(id)}${path.posix.extname(icon.path)}`);
    await mkdirAsOwner(ctx, t, icons);
    await writeOwnerFile(t, iconFile, icon.data);
    files.push(iconFile);
  }
  await mkdirAsOwner(ctx, t, apps);
  await refuseForeign(ctx, t, file);
  await writeOwnerFile(t, file, hostDesktopEntry(entry.text, t, iconFile));
  files.push(file);
  return { kind: 'app', name: id, files };
}

/** Export PROGRAM (a path inside, or a name on the container's PATH) as ~/.local/bin/NAME. */
export async function exportBin(ctx: Context, root: Root, t: ExportTarget, program: string): Promise<ShellExport> {
  const inside = path.posix.isAbsolute(program) ? program : ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'].map((d) => `${d}/${program}`).find((p) => root.statOrNothing(p)?.isFile());
  const stat = inside ? root.statOrNothing(inside) : undefined;
  if (!inside || !stat?.isFile() || !(stat.mode & 0o111)) throw new NotFoundError(`no program ${program} in the shell${inside ? ` (${inside} is not an executable file)` : ''}`);
  const bin = path.join(t.owner.home, '.local/bin');
  const file = path.join(bin, slug(path.posix.basename(inside)));
  await mkdirAsOwner(ctx, t, bin);
  await refuseForeign(ctx, t, file);
  await writeOwnerFile(t, file, binLauncher(inside, t));
  const r = await ctx.run(asCallerArgv(t.owner, ['chmod', '755', '--', file]), { reject: false });
  if (r.exitCode !== 0) throw new ConflictError(`cannot make ${file} executable: ${r.stderr.trim()}`);
  return { kind: 'bin', name: inside, files: [file] };
}

/**
 * Remove exported files, as their owner: only those still carrying this shell's mark (an
 * icon, which cannot carry one, goes with its entry). What cannot be removed is reported,
 * never a reason to keep the shell.
 */
export async function removeExportFiles(ctx: Context, owner: ExportTarget['owner'], pet: string, exports: readonly ShellExport[]): Promise<string[]> {
  const files = exports.flatMap((e) => e.files);
  if (!files.length) return [];
  const script = [
    'mark=$1; shift; for f; do',
    '  case $f in *.desktop|*/.local/bin/*) grep -qsF -- "$mark" "$f" || continue ;; esac',
    '  rm -f -- "$f" || echo "$f" >&2',
    'done',
  ].join('\n');
  const r = await ctx.run(asCallerArgv(owner, ['sh', '-c', script, 'sh', `${EXPORT_MARK}=${pet}`, ...files]), { reject: false });
  return r.stderr.split('\n').filter(Boolean);
}

/** The files of an export named NAME (an app id, a program's path or its base name). Pure. */
export function matchingExports(exports: readonly ShellExport[], name: string): ShellExport[] {
  const id = name.replace(/\.desktop$/, '');
  return exports.filter((e) => e.name === name || e.name === id || (e.kind === 'bin' && path.posix.basename(e.name) === name));
}

/**
 * Exports change host files in the owner's home that run `racker shell IMAGE` as whoever
 * starts them: that reaches this very shell only when it is that user's own, without sudo.
 */
export function checkExportable(ctx: Context, account: Account, name: string): void {
  if (isMember(ctx.caller) || account.uid === (process.getuid?.() ?? 0)) return;
  throw new UsageError(
    `exported apps run "racker shell" as ${account.name}, without sudo, which cannot enter ${name}: it was made with sudo. Make your shell without sudo, as a member of the group racker (doc/security.md), and export from it`,
  );
}

/** Set the shell's record of its exports (re-read first: its supervisor writes the record too). */
export async function recordExports(ctx: Context, pet: ContainerRecord, account: Account, exports: ShellExport[]): Promise<void> {
  const fresh = (await readContainer(ctx.paths, pet.id)) ?? pet;
  const shell = fresh.config.shell ?? { user: { uid: account.uid, gid: account.gid, name: account.name, home: account.home } };
  await writeContainer(ctx.paths, { ...fresh, config: { ...fresh.config, shell: { ...shell, exports } } });
}

/** What --export-app, --export-bin and --unexport asked for (racker shell's options). */
export interface ExportRequest {
  image: string;
  exportApps?: string[];
  exportBins?: string[];
  unexport?: string[];
  /** Where they say what they made (stdout). */
  print?: (line: string) => void;
}

/** Export and unexport as asked, in the running shell `pet` (its leader `leader`), recorded in its record. */
export async function changeExports(ctx: Context, opts: ExportRequest, pet: ContainerRecord, account: Account, leader: number): Promise<void> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const target: ExportTarget = { pet: pet.name, image: opts.image, owner: { uid: account.uid, gid: account.gid, home: account.home } };
  const made: ShellExport[] = [];
  const root = Root.open(processRoot(leader));
  try {
    for (const app of opts.exportApps ?? []) made.push(await exportApp(ctx, root, target, app));
    for (const bin of opts.exportBins ?? []) made.push(await exportBin(ctx, root, target, bin));
  } finally {
    root.close();
  }
  const fresh = (await readContainer(ctx.paths, pet.id)) ?? pet;
  let kept = (fresh.config.shell?.exports ?? []).filter((e) => !made.some((m) => m.kind === e.kind && m.name === e.name));
  const gone: ShellExport[] = [];
  for (const name of opts.unexport ?? []) {
    const found = matchingExports(kept, name);
    if (!found.length) throw new NotFoundError(`${name} is not exported from ${pet.name}`);
    gone.push(...found);
    kept = kept.filter((e) => !found.includes(e));
  }
  // Recorded before anything is removed: a file racker made is always named by the record.
  await recordExports(ctx, pet, account, [...kept, ...made, ...gone]);
  const left = await removeExportFiles(ctx, target.owner, pet.name, gone);
  await recordExports(ctx, pet, account, [...kept, ...made]);
  for (const e of made) print(`exported ${e.name}: ${e.files.join(' ')}`);
  for (const e of gone) print(`unexported ${e.name}: ${e.files.filter((f) => !left.includes(f)).join(' ')}`);
  if (left.length) throw new ConflictError(`could not remove ${left.join(', ')}`);
}

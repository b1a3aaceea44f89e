/**
 * `racker shell --upgrade IMAGE`: the shell made again on the newest IMAGE, keeping what can
 * be kept — the home (it was never in the container), the desktop forwarding, the exported
 * apps and programs, and the packages the user chose to install (their package manager's own
 * record of what was asked for, not what came as a dependency), installed again from the
 * distribution. Everything else written outside the home in the old container is not carried
 * over, and the report says so.
 *
 * The pure half is here (queries, parsing, the report); shell.ts runs it around the new
 * container.
 */
import type { PackageFamily } from '../image/labels.js';

/** The argv that lists the packages a user asked for (one name a line, or zypper's table); undefined where the family keeps no such record. Pure. */
export function chosenPackagesArgv(family: PackageFamily): string[] | undefined {
  switch (family) {
    case 'apt':
      return ['apt-mark', 'showmanual'];
    case 'dnf':
      // dnf 4 ends each entry with a newline of its own, dnf 5 only with the one asked for: blank lines are skipped.
      return ['dnf', '--quiet', 'repoquery', '--userinstalled', '--queryformat', '%{name}\n'];
    case 'zypper':
      return ['zypper', '--quiet', '--non-interactive', 'packages', '--userinstalled'];
    case 'pacman':
      return ['pacman', '-Qqe'];
    default:
      // microdnf and yum (Amazon Linux 2) have no query for it.
      return undefined;
  }
}

/** The names in a chosenPackagesArgv's output. Pure. */
export function parseChosen(family: PackageFamily, stdout: string): string[] {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (family === 'zypper') {
      // "i+ | repo-oss | vim | 9.1-1.1 | x86_64": the third column, below the header.
      const cols = line.split('|').map((c) => c.trim());
      if (cols.length >= 4 && /^i/.test(cols[0]!) && cols[2]) names.add(cols[2]);
      continue;
    }
    const name = line.trim();
    if (name && /^[A-Za-z0-9@._+:-]+$/.test(name)) names.add(name);
  }
  return [...names].sort();
}

/** What the user chose in the old shell that the new image does not already have chosen. Pure. */
export function toReinstall(before: readonly string[], after: readonly string[]): string[] {
  const had = new Set(after);
  return [...new Set(before)].filter((p) => !had.has(p)).sort();
}

export interface UpgradeReport {
  name: string;
  from: string;
  to: string;
  family?: PackageFamily;
  reinstalled: string[];
  /** Packages asked for that the new shell could not get, and the package manager's last words. */
  failed?: { packages: string[]; why: string };
  /** Why the packages were not looked at (a family without the record, the query failing). */
  packagesSkipped?: string;
  desktop: boolean;
  reexported: string[];
  notReexported: string[];
}

/** The lines `racker shell --upgrade` prints (stderr). Pure. */
export function upgradeLines(r: UpgradeReport): string[] {
  const kept = ['your home', ...(r.desktop ? ['the desktop forwarding'] : [])];
  if (r.reexported.length) kept.push(`the exports (${r.reexported.join(', ')})`);
  const lines = [`upgraded ${r.name}: ${r.from} -> ${r.to}`, `kept: ${kept.join(', ')}`];
  if (r.packagesSkipped) lines.push(`packages: not carried over (${r.packagesSkipped})`);
  else if (r.reinstalled.length) lines.push(`installed again with ${r.family}: ${r.reinstalled.join(' ')}`);
  if (r.failed) lines.push(`not installed again: ${r.failed.packages.join(' ')} (${r.failed.why})`);
  if (r.notReexported.length) lines.push(`not exported again (not in the new image): ${r.notReexported.join(', ')}`);
  lines.push('dropped: any other change made outside your home in the old shell');
  return lines;
}

/**
 * Which package family an image or a running container uses, from its os-release (and, for
 * the rpm families, which of dnf, microdnf and yum it has): postroj's probes on images that are
 * not curated labels, the warm pool's probe machines, and racker shell --upgrade.
 */
import type { ContainerRoot } from '../fs/in-root.js';
import { checkCommand } from './lookup.js';
import type { PackageFamily } from '../image/labels.js';

/** os-release ID / ID_LIKE → package family, for images that are not curated labels. */
export function familyFromOsRelease(text: string, hasCommand: (name: string) => boolean): PackageFamily | undefined {
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1] ?? '';
  const ids = `${field('ID')} ${field('ID_LIKE')}`.toLowerCase().split(/\s+/);
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'apt';
  if (ids.some((i) => i === 'suse' || i.startsWith('opensuse') || i === 'sles')) return 'zypper';
  if (ids.includes('arch')) return 'pacman';
  if (ids.some((i) => ['fedora', 'rhel', 'centos'].includes(i)) || field('ID') === 'amzn') {
    if (hasCommand('dnf')) return 'dnf';
    if (hasCommand('microdnf')) return 'microdnf';
    return 'yum';
  }
  return undefined;
}

/** A command on the container's PATH (resolved inside its root). */
export function onPathIn(root: ContainerRoot, tool: string): boolean {
  try {
    checkCommand(root, tool, []);
    return true;
  } catch {
    return false;
  }
}

/** The package family of the system in `root` (its /etc/os-release, its package managers). */
export function familyOfRoot(root: ContainerRoot): PackageFamily | undefined {
  const osRelease = root.readText('/etc/os-release') ?? root.readText('/usr/lib/os-release') ?? '';
  return familyFromOsRelease(osRelease, (t) => onPathIn(root, t));
}

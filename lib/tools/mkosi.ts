/**
 * mkosi (Debian 12: version 14): builds an OS tree from a distribution's archive, configured
 * by an mkosi.conf directory, for `racker build --mkosi DIR`. Pure argv building.
 *
 * racker always asks for a plain directory tree (`--format=directory`): that is what its
 * store holds, and the configuration's own Format= is overridden so a disk image is never
 * made. mkosi 14 bootstraps Debian with debootstrap; `--mirror` points that at the same
 * mirror racker's bootstrap labels use (RACKER_DEBIAN_MIRROR, else the host's apt mirror).
 */
import { UsageError } from '../errors.js';

export interface MkosiOptions {
  /** The configuration directory (mkosi.conf and its mkosi.* companions). */
  directory: string;
  /** Where the tree is made; must not exist yet. */
  output: string;
  /** mkosi's temporary workspace (on the store's filesystem, not a small /var/tmp). */
  workspace: string;
  /** A package cache kept between builds (downloaded .debs). */
  cache?: string;
  mirror?: string;
}

const MIRROR_URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

function checkPath(what: string, p: string): string {
  if (p === '' || p.startsWith('-') || !p.startsWith('/')) throw new UsageError(`invalid ${what} for mkosi: ${JSON.stringify(p)} (an absolute path)`);
  return p;
}

export function mkosiBuildArgv(o: MkosiOptions): string[] {
  const argv = ['mkosi', `--directory=${checkPath('configuration directory', o.directory)}`, '--format=directory', `--output=${checkPath('output', o.output)}`, `--workspace-dir=${checkPath('workspace', o.workspace)}`];
  if (o.cache !== undefined) argv.push(`--cache=${checkPath('cache', o.cache)}`);
  if (o.mirror !== undefined) {
    if (!MIRROR_URI.test(o.mirror)) throw new UsageError(`invalid mirror URI: ${JSON.stringify(o.mirror)}`);
    argv.push(`--mirror=${o.mirror}`);
  }
  argv.push('build');
  return argv;
}

/**
 * --package SPEC: a local file (.deb, .rpm, .pkg.tar.zst, .apk — copied in), an http(s)
 * URL (downloaded on the host with retries), or a repository package name; installed
 * with the machine's own package manager so that dependencies resolve.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../lib/errors.js';
import { installPackagesArgv } from '../lib/image/provision.js';
import type { DownloadCache } from '../lib/postroj/package-cache/index.js';
import { lastLines, timed, type ProbeMachine, type ProbeResult } from './types.js';

export type PackageSource = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'name'; name: string };

const PACKAGE_FILE = /\.(deb|rpm|pkg\.tar\.(zst|xz|gz)|apk)$/;

export function classifyPackage(spec: string): PackageSource {
  if (/^https?:\/\//i.test(spec)) return { kind: 'url', url: spec };
  if (spec.includes('/') || PACKAGE_FILE.test(spec)) {
    if (!existsSync(spec)) throw new UsageError(`package file not found: ${spec}`);
    return { kind: 'file', path: path.resolve(spec) };
  }
  return { kind: 'name', name: spec };
}

/** Per family, the argv that installs a package file already inside the machine. */
export function installFileArgv(family: ProbeMachine['family'], inside: string): string[][] {
  switch (family) {
    case 'apt':
      // apt resolves the file's dependencies from the archive: it needs fresh lists.
      return [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', inside]];
    case 'zypper':
      return [['zypper', '--non-interactive', 'install', '--allow-unsigned-rpm', inside]];
    case 'pacman':
      return [['pacman', '-U', '--noconfirm', inside]];
    default:
      return installPackagesArgv(family, [inside]);
  }
}

/**
 * The file name a downloaded package is saved under: the URL's last segment, decoded (apt
 * and dnf want the real suffix), reduced to a plain name. A server's `%2F..%2F` must not
 * turn it into a path out of the download directory.
 */
export function downloadName(url: string): string {
  let name: string;
  try {
    name = decodeURIComponent(path.posix.basename(new URL(url).pathname));
  } catch {
    name = path.posix.basename(new URL(url).pathname); // a malformed %-escape: as it is
  }
  name = name.replace(/[/\0]/g, '_');
  return name === '' || name === '.' || name === '..' ? 'package' : name;
}

export interface PackageProbeOptions {
  download: (url: string, dest: string) => Promise<void>;
  /** Copies a named package file to `dest` (a member's is read with their rights: lib/access/as-caller.ts); else it is read where it is. */
  copyFile?: (file: string, dest: string) => Promise<void>;
  /** The host's package cache for this machine (lib/postroj/package-cache), when it has one. */
  cache?: DownloadCache;
}

export function packageProbe(machine: ProbeMachine, spec: string, opts: PackageProbeOptions): Promise<ProbeResult> {
  return timed(`package ${spec}`, async () => {
    const source = classifyPackage(spec);
    let steps: string[][];
    if (source.kind === 'name') steps = installPackagesArgv(machine.family, [source.name]);
    else {
      let file = source.kind === 'file' ? source.path : '';
      let tmp: string | undefined;
      if (source.kind === 'url' || opts.copyFile) tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'postroj-'));
      if (source.kind === 'url') {
        file = path.join(tmp!, downloadName(source.url));
        await opts.download(source.url, file);
      } else if (opts.copyFile) {
        file = path.join(tmp!, path.basename(source.path));
        await opts.copyFile(source.path, file);
      }
      try {
        steps = installFileArgv(machine.family, await machine.copyIn(file, path.basename(file)));
      } finally {
        if (tmp) await fs.rm(tmp, { recursive: true, force: true });
      }
    }
    const log: string[] = [];
    const cached = await opts.cache?.begin(steps);
    try {
      for (const step of cached?.steps ?? steps) {
        const r = await machine.exec(step, ['DEBIAN_FRONTEND=noninteractive', ...(cached?.env ?? [])]);
        log.push(`$ ${step.join(' ')} → ${r.exitCode}`);
        if (r.exitCode !== 0) return { ok: false, evidence: `${log.join('\n')}\n${lastLines(r.stdout + r.stderr)}` };
      }
    } finally {
      if (cached) log.push(await cached.finish());
    }
    return { ok: true, evidence: log.join('\n') };
  });
}

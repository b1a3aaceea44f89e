/**
 * buildah (Debian 12: 1.28): builds images from a Containerfile for `racker build`.
 * Pure argv building; lib/image/build.ts runs them.
 *
 * Every call names racker's own storage (--root/--runroot under racker's state), never
 * /var/lib/containers, so racker's builds and anyone else's buildah/podman stay apart.
 * `--isolation chroot`: buildah's default (oci) runs RUN steps with crun/runc, which need
 * a cgroup layout and a systemd PID 1 that hosts like CI containers lack; chroot isolation
 * runs them in namespaces of their own with the host's network, which is what apt inside
 * a build needs. `--pull=never`: racker puts the base images into buildah's storage itself
 * (from its own store, pulled by racker with its credentials and registry rules), so
 * buildah never reaches a registry on its own.
 */
import { UsageError } from '../errors.js';

export interface BuildahStorage {
  /** Image and layer storage (buildah's --root). */
  root: string;
  /** Runtime state: locks, mounts (buildah's --runroot). */
  runroot: string;
}

export interface BudOptions {
  /** The build context directory. */
  context: string;
  /** The Containerfile/Dockerfile (a path). */
  file: string;
  buildArgs?: readonly string[];
  noCache?: boolean;
  quiet?: boolean;
  /** Where buildah writes the new image's ID. */
  iidfile: string;
  /** An image name inside buildah's storage (for its layer cache and to find the image again). */
  tag?: string;
  target?: string;
}

function checkPath(what: string, p: string): string {
  if (p === '' || p.startsWith('-')) throw new UsageError(`invalid ${what}: ${JSON.stringify(p)}`);
  return p;
}

export function buildahGlobal(storage: BuildahStorage): string[] {
  return ['buildah', `--root=${checkPath('storage root', storage.root)}`, `--runroot=${checkPath('storage runroot', storage.runroot)}`, '--storage-driver=overlay'];
}

/** A docker --build-arg value: NAME=VALUE, or NAME alone (its value then comes from the environment). */
export function checkBuildArg(arg: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(arg)) throw new UsageError(`invalid build argument: ${JSON.stringify(arg)} (expected NAME=VALUE)`);
  return arg;
}

export function budArgv(storage: BuildahStorage, opts: BudOptions): string[] {
  const argv = [...buildahGlobal(storage), 'bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm', `--iidfile=${checkPath('iidfile', opts.iidfile)}`];
  if (opts.noCache) argv.push('--no-cache');
  if (opts.quiet) argv.push('--quiet');
  if (opts.tag !== undefined) argv.push(`--tag=${checkPath('tag', opts.tag)}`);
  if (opts.target !== undefined) argv.push(`--target=${checkPath('target', opts.target)}`);
  for (const a of opts.buildArgs ?? []) argv.push(`--build-arg=${checkBuildArg(a)}`);
  argv.push(`--file=${checkPath('Containerfile', opts.file)}`, checkPath('context', opts.context));
  return argv;
}

/**
 * Copy an image from an OCI layout directory into buildah's storage under `name`, with skopeo:
 * `buildah pull oci:DIR` would name the image after DIR, which fails for a path with capitals.
 */
export function copyToStorageArgv(storage: BuildahStorage, layout: string, ref: string, name: string): string[] {
  // The transports split "oci:DIR:REF" and "[driver@ROOT+RUNROOT]" at these characters.
  for (const p of [layout, storage.root, storage.runroot]) {
    if (/[:+\]\[]/.test(p) || !p.startsWith('/')) throw new UsageError(`invalid path for skopeo: ${JSON.stringify(p)}`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref)) throw new UsageError(`invalid OCI layout reference: ${JSON.stringify(ref)}`);
  return ['skopeo', 'copy', '--quiet', `oci:${layout}:${ref}`, `containers-storage:[overlay@${storage.root}+${storage.runroot}]${checkPath('image name', name)}`];
}

export function tagArgv(storage: BuildahStorage, image: string, names: readonly string[]): string[] {
  return [...buildahGlobal(storage), 'tag', checkPath('image', image), ...names.map((n) => checkPath('image name', n))];
}

/** A working container on the image (no command runs); its name is printed. */
export function fromArgv(storage: BuildahStorage, image: string): string[] {
  return [...buildahGlobal(storage), 'from', '--pull=never', '--quiet', checkPath('image', image)];
}

export function mountArgv(storage: BuildahStorage, container: string): string[] {
  return [...buildahGlobal(storage), 'mount', checkPath('container', container)];
}

export function rmArgv(storage: BuildahStorage, container: string): string[] {
  return [...buildahGlobal(storage), 'rm', checkPath('container', container)];
}

/** Every working container: what an interrupted or killed build left (racker's builds take turns). */
export function rmAllArgv(storage: BuildahStorage): string[] {
  return [...buildahGlobal(storage), 'rm', '--all'];
}

export function rmiArgv(storage: BuildahStorage, images: readonly string[]): string[] {
  return [...buildahGlobal(storage), 'rmi', ...images.map((i) => checkPath('image', i))];
}

export function inspectImageArgv(storage: BuildahStorage, image: string): string[] {
  return [...buildahGlobal(storage), 'inspect', '--type=image', checkPath('image', image)];
}

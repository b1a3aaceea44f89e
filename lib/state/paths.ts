import path from 'node:path';

/**
 * Every path racker uses, in one place. Persistent state lives under /var/lib/racker,
 * runtime state (locks, mounts, container pids) under /run/racker; RACKER_ROOT=DIR puts
 * both under DIR so tests and users can keep separate stores.
 */
export interface Paths {
  readonly lib: string;
  readonly run: string;
  /** The shared OCI layout skopeo copies into (blobs shared across images). */
  readonly oci: string;
  /** Unpacked machine images, one directory per image ID. */
  readonly images: string;
  /** tag → image ID table. */
  readonly repositories: string;
  readonly locks: string;
  /** Scratch space on the same filesystem as images, so finished work is renamed into place. */
  readonly tmp: string;
  readonly containers: string;
  /** User-defined networks, one JSON record each. */
  readonly networks: string;
  /** The event log (lib/events): one JSON line per action, rotated to events.log.1. */
  readonly events: string;
  /**
   * An image's directory, its root filesystem and its image.json. `id` is the image ID, with
   * or without its "sha256:" (the directory is named by the hex alone): the one place that
   * turns an ID into these paths.
   */
  image(id: string): string;
  imageRootfs(id: string): string;
  imageMeta(id: string): string;
  lock(name: string): string;
  container(id: string): string;
  containerMeta(id: string): string;
  /** Where a running container's overlay is mounted (runtime state: gone after reboot). */
  containerRootfs(id: string): string;
  containerLog(id: string): string;
  /** The exit codes of --rm containers, kept a while after their removal (container/ended.ts). */
  endedContainers: string;
  /** postroj's package cache: one directory per distribution, release and architecture. */
  readonly packageCache: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const root = env.RACKER_ROOT;
  const lib = root ? path.join(path.resolve(root), 'lib') : '/var/lib/racker';
  const run = root ? path.join(path.resolve(root), 'run') : '/run/racker';
  return pathsUnder(lib, run);
}

export function pathsUnder(lib: string, run: string): Paths {
  const images = path.join(lib, 'images');
  const locks = path.join(run, 'locks');
  return {
    lib,
    run,
    oci: path.join(lib, 'oci'),
    images,
    repositories: path.join(lib, 'repositories.json'),
    locks,
    tmp: path.join(lib, 'tmp'),
    containers: path.join(lib, 'containers'),
    networks: path.join(lib, 'networks'),
    events: path.join(lib, 'events.log'),
    image: (id) => path.join(images, imageHex(id)),
    imageRootfs: (id) => path.join(images, imageHex(id), 'rootfs'),
    imageMeta: (id) => path.join(images, imageHex(id), 'image.json'),
    lock: (name) => path.join(locks, `${name}.lock`),
    container: (id) => path.join(lib, 'containers', id),
    containerMeta: (id) => path.join(lib, 'containers', id, 'container.json'),
    containerRootfs: (id) => path.join(run, 'containers', id, 'rootfs'),
    containerLog: (id) => path.join(lib, 'containers', id, `${id}-json.log`),
    endedContainers: path.join(lib, 'ended-containers.json'),
    packageCache: path.join(lib, 'cache', 'packages'),
  };
}

/** An image ID's hex: images/<hex>/ is named without the "sha256:" the ID carries. */
function imageHex(id: string): string {
  return id.replace(/^sha256:/, '');
}

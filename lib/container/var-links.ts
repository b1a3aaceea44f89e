/**
 * Image-based systems (ostree, bootc: Fedora and CentOS bootable containers, Fedora Atomic and
 * CoreOS) keep /usr read-only and everything a machine changes under /var, so their images ship
 * /home, /root, /opt, /srv, /mnt, /media and /usr/local as links into /var (`home -> var/home`,
 * `root -> var/roothome`, `usr/local -> ../var/usrlocal`) whose targets do not exist in the
 * image: systemd-tmpfiles makes them at boot (rpm-ostree's tmpfiles.d). Until then, and for good
 * in a container that is never booted, `cd ~` as root, `exec -w /root`, a shell account's home
 * and a volume at /opt would meet a dangling link. racker makes the missing targets before the
 * container starts, as tmpfiles would, with tmpfiles' modes (root's home 0700).
 *
 * Only a link that resolves (inside the container's root) to a missing directory under /var is
 * acted on: an image's other dangling links are its own business, and a link aimed outside /var
 * (or at the host, which resolution inside the root cannot reach) is left alone.
 */
import { chmodSync } from 'node:fs';
import { fdPath, InRootError, type ContainerRoot } from '../fs/in-root.js';

/** The ostree layout's links and the mode its tmpfiles.d gives each target. */
export const VAR_LINKS: readonly (readonly [string, number])[] = [
  ['/home', 0o755],
  ['/root', 0o700],
  ['/opt', 0o755],
  ['/srv', 0o755],
  ['/mnt', 0o755],
  ['/media', 0o755],
  ['/usr/local', 0o755],
];

/** Make the missing /var targets of the image's ostree-style links; returns the paths made (in container terms). */
export function makeVarLinkTargets(root: ContainerRoot): string[] {
  const made: string[] = [];
  for (const [link, mode] of VAR_LINKS) {
    try {
      if (!root.find(link, { follow: false })?.stat?.isSymbolicLink()) continue;
      const target = root.find(link);
      // Present already (the usual case once booted), or a path that cannot be made (a file on the way).
      if (!target || target.fd !== undefined) continue;
      if (!target.path.startsWith('/var/')) continue;
      const dir = root.directory(target.path, { create: true })!;
      // An O_PATH descriptor takes no fchmod; its /proc/self/fd name does.
      chmodSync(fdPath(dir.fd!), mode);
      made.push(target.path);
    } catch (err) {
      // A loop or a file where a directory should be: the image's problem, as it would be at its own boot.
      if (!(err instanceof InRootError)) throw err;
    }
  }
  return made;
}

/** Pure argv builders for GNU tar. */

/**
 * A root filesystem as one layer (images racker made without a registry have no layers):
 * numeric owners, file capabilities kept (PAX xattrs), names sorted so the same tree gives
 * the same bytes except for mtimes.
 */
export function rootfsLayerArgv(rootfs: string, file: string): string[] {
  return ['tar', '--create', `--file=${file}`, '--format=posix', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '--sort=name', `--directory=${rootfs}`, '.'];
}

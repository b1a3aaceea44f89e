/** Pure argv builders for mount/umount (Node has no mount(2)). */

export function overlayMountArgv(o: { lower: string; upper: string; work: string; target: string }): string[] {
  // Commas and colons separate overlay options; image and container paths never contain them
  // (they are racker's own hex IDs under RACKER_ROOT), which cli validation of RACKER_ROOT keeps true.
  return ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${o.lower},upperdir=${o.upper},workdir=${o.work}`, o.target];
}

export function umountArgv(target: string, lazy = false): string[] {
  return lazy ? ['umount', '--lazy', target] : ['umount', target];
}

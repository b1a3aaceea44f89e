/** Pure argv builders for umoci, which turns OCI layout tags into root filesystems. */

/** Unpack a tag into DEST/rootfs (+ DEST/config.json). As root, ownership is kept as in the layers. */
export function unpackArgv(layout: string, tag: string, dest: string): string[] {
  return ['umoci', 'unpack', '--image', `${layout}:${tag}`, dest];
}

export function removeTagArgv(layout: string, tag: string): string[] {
  return ['umoci', 'rm', '--image', `${layout}:${tag}`];
}

/** Delete blobs no tag refers to any more. */
export function gcArgv(layout: string): string[] {
  return ['umoci', 'gc', '--layout', layout];
}

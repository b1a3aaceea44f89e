/**
 * A tree inside a container (or any root racker opened) as a tar stream, walked the way
 * lib/fs/in-root.ts looks things up: every name opened in a directory racker holds, never
 * followed (O_NOFOLLOW), file contents read from the descriptor that was checked. A process
 * in a running container that swaps a directory for a link to the host's /etc mid-walk gets
 * its link archived as a link, not the host's files. node-tar's Pack walks host paths
 * (lstat, then readdir/open by name), which such a swap would lead out; it is used here only
 * for its header encoding.
 *
 * Kernel filesystems met inside (a running container's /proc, /sys, cgroups) are archived as
 * empty directories, as dockerd, which never sees them in the container's root, does.
 */
import { closeSync, constants as c, fstatSync, openSync, readdirSync, readlinkSync, readSync, statfsSync, type Stats } from 'node:fs';
import { Header, Pax, type HeaderData } from 'tar';
import { fdPath } from '../../fs/in-root.js';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const LOOKUP = O_PATH | c.O_NOFOLLOW | O_CLOEXEC;
const CHUNK = 1 << 20;

/** statfs magic numbers of filesystems whose contents are the kernel's, not the container's. */
const KERNEL_FS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x1cd1, // devpts
  0x19800202, // mqueue
  0x64626720, // debugfs
  0x73636673, // securityfs
  0x74726163, // tracefs
  0xcafe4a11, // bpf
  0x6165676c, // pstore
  0x42494e4d, // binfmt_misc
  0x65735543, // fusectl
  0x62656570, // configfs
]);

export interface PackOptions {
  /** uid/gid written for every entry instead of the file's own (undefined: the file's). */
  owner?: { uid: number; gid: number };
  /**
   * A file or directory that cannot be read is an error (EACCES), not skipped: a member's own
   * copy (cp-local.ts) must not come out quietly short. In a container's root, where the reader
   * is root, what fails is what vanished meanwhile, and is skipped.
   */
  failUnreadable?: boolean;
}

function unreadable(err: unknown, opts: PackOptions): void {
  if (opts.failUnreadable && (err as NodeJS.ErrnoException).code === 'EACCES') throw err;
}

/** One archive member's header (with a PAX header before it when a field does not fit). */
function headerBlocks(fields: HeaderData & { path: string }): Buffer {
  const header = new Header(fields);
  const needPax = header.encode();
  const block = header.block!;
  if (!needPax) return block;
  const pax = new Pax({ path: fields.path, linkpath: fields.linkpath ?? '', size: fields.size ?? 0, mtime: fields.mtime, uid: fields.uid, gid: fields.gid } as never).encode();
  return Buffer.concat([pax, block]);
}

function typeOf(st: Stats): HeaderData['type'] | undefined {
  if (st.isFile()) return 'File';
  if (st.isDirectory()) return 'Directory';
  if (st.isSymbolicLink()) return 'SymbolicLink';
  if (st.isCharacterDevice()) return 'CharacterDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  if (st.isFIFO()) return 'FIFO';
  return undefined; // a socket: tar has no type for it (GNU tar skips them too)
}

function isKernelFs(fd: number): boolean {
  try {
    return KERNEL_FS.has(Number(statfsSync(fdPath(fd)).type));
  } catch {
    return false;
  }
}

/**
 * The tar of the entry `name` in directory `dirFd` (its O_PATH descriptor `fd`, stat `st`),
 * named `archiveName` in the archive ("." → "./x" style is the caller's choice). Yields
 * buffers; the end-of-archive blocks are the caller's too (see `endOfArchive`), so that
 * several trees can share one archive.
 */
export function* packEntry(dirFd: number, name: string | undefined, fd: number, st: Stats, archiveName: string, opts: PackOptions = {}, links = new Map<string, string>()): Generator<Buffer> {
  yield* walk(dirFd, name, fd, st, archiveName, st.dev, opts, links);
}

/** Every entry below the directory `fd`, named relative to it ("bin/", "bin/sh"): `docker export`'s layout. */
export function* packContents(fd: number, opts: PackOptions = {}): Generator<Buffer> {
  const links = new Map<string, string>();
  const rootDev = fstatSync(fd).dev;
  for (const child of readdirSync(fdPath(fd)).sort()) {
    let childFd: number;
    try {
      childFd = openSync(fdPath(fd, child), LOOKUP);
    } catch {
      continue;
    }
    try {
      yield* walk(fd, child, childFd, fstatSync(childFd), child, rootDev, opts, links);
    } finally {
      closeSync(childFd);
    }
  }
}

export function endOfArchive(): Buffer {
  return Buffer.alloc(1024);
}

function* walk(dirFd: number, name: string | undefined, fd: number, st: Stats, archiveName: string, rootDev: number, opts: PackOptions, links: Map<string, string>): Generator<Buffer> {
  const type = typeOf(st);
  if (!type) return;
  const owner = opts.owner ?? { uid: st.uid, gid: st.gid };
  const base = { mode: st.mode & 0o7777, uid: owner.uid, gid: owner.gid, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) };
  if (type === 'Directory') {
    const dirName = archiveName.endsWith('/') ? archiveName : `${archiveName}/`;
    yield headerBlocks({ ...base, path: dirName, type, size: 0 });
    if (st.dev !== rootDev && isKernelFs(fd)) return;
    let names: string[];
    try {
      names = readdirSync(fdPath(fd)).sort();
    } catch (err) {
      unreadable(err, opts);
      return; // gone or unreadable meanwhile: the directory stays, empty
    }
    for (const child of names) {
      let childFd: number;
      try {
        childFd = openSync(fdPath(fd, child), LOOKUP);
      } catch {
        continue; // removed since readdir
      }
      try {
        yield* walk(fd, child, childFd, fstatSync(childFd), `${dirName}${child}`, rootDev, opts, links);
      } finally {
        closeSync(childFd);
      }
    }
    return;
  }
  if (type === 'SymbolicLink') {
    let target: string;
    try {
      // readlink of the magic /proc/self/fd/N would give the link's own path: ask its directory.
      target = name === undefined ? '' : readlinkSync(fdPath(dirFd, name));
    } catch {
      return; // replaced since the lookup
    }
    yield headerBlocks({ ...base, path: archiveName, type, size: 0, linkpath: target });
    return;
  }
  if (type === 'File') {
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) {
      const first = links.get(key);
      if (first !== undefined) {
        yield headerBlocks({ ...base, path: archiveName, type: 'Link', size: 0, linkpath: first });
        return;
      }
      links.set(key, archiveName);
    }
    let file: number;
    try {
      // The checked inode itself (O_NONBLOCK: nothing here may wait on the container).
      file = openSync(fdPath(fd), c.O_RDONLY | c.O_NONBLOCK | O_CLOEXEC);
    } catch (err) {
      unreadable(err, opts);
      return;
    }
    try {
      const size = fstatSync(file).size;
      yield headerBlocks({ ...base, path: archiveName, type, size });
      // Exactly `size` bytes, whatever the file does meanwhile: cut when it grew, zeros when it shrank.
      let left = size;
      while (left > 0) {
        const buf = Buffer.alloc(Math.min(CHUNK, left));
        let n = 0;
        try {
          n = readSync(file, buf, 0, buf.length, null);
        } catch {
          n = 0;
        }
        if (n === 0) {
          yield buf;
          left -= buf.length;
          continue;
        }
        yield buf.subarray(0, n);
        left -= n;
      }
      if (size % 512) yield Buffer.alloc(512 - (size % 512));
    } finally {
      closeSync(file);
    }
    return;
  }
  // Devices and FIFOs: the header says it all.
  const rdev = st.rdev;
  yield headerBlocks({ ...base, path: archiveName, type, size: 0, devmaj: Math.floor(rdev / 256) & 0xfff, devmin: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) });
}

/**
 * A container's overlay upper directory as an OCI layer tar: whiteouts (character devices
 * 0:0) become `.wh.NAME` files, opaque directories get `.wh..wh..opq` (found by comparing
 * with the lower and merged views: whiteout.ts). The upper directory is written by the
 * container, so it is walked through descriptors, one name at a time, never following a
 * link (a directory swapped for a link to /etc while a running container is committed
 * cannot make racker read the host's files).
 */
import { closeSync, constants as c, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { fdPath } from '../fs/in-root.js';
import { TarWriter, type TarEntry } from './tar-writer.js';
import { hiddenByOpaque, isOverlayWhiteout, opaquePath, whiteoutPath } from './whiteout.js';

/** Linux's O_CLOEXEC (node's fs.constants lacks it). */
const O_CLOEXEC = 0o2000000;
const DIR_FLAGS = c.O_RDONLY | c.O_DIRECTORY | c.O_NOFOLLOW | O_CLOEXEC;
const FILE_FLAGS = c.O_RDONLY | c.O_NOFOLLOW | c.O_NONBLOCK | O_CLOEXEC;

/** docker never commits these: racker writes them into every container it networks. */
export const NOT_COMMITTED = new Set(['etc/hosts', 'etc/resolv.conf', 'etc/hostname']);

export interface UpperLayerOptions {
  /** Names in the image's directory `dir` ("" for /), or undefined where the image has no such directory. */
  lowerNames(dir: string): string[] | undefined;
  /** Names in the container's merged view of `dir`. */
  mergedNames(dir: string): Promise<string[]>;
}

function base(st: Stats, p: string): Omit<TarEntry, 'type'> {
  return { path: p, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime };
}

/** Write the layer for `upper` to `tar` (not finished here). */
export async function writeUpperLayer(upper: string, tar: TarWriter, o: UpperLayerOptions): Promise<{ entries: number }> {
  const links = new Map<string, string>();
  let entries = 0;
  const walk = async (dirFd: number, dir: string): Promise<void> => {
    const names = readdirSync(fdPath(dirFd)).sort();
    if (dir) {
      const lower = o.lowerNames(dir);
      if (lower && hiddenByOpaque(lower, names, await o.mergedNames(dir))) {
        await tar.add({ path: opaquePath(dir), type: 'File', mode: 0o644 });
        entries++;
      }
    }
    for (const name of names) {
      const p = dir ? `${dir}/${name}` : name;
      if (NOT_COMMITTED.has(p)) continue;
      let st: Stats;
      try {
        st = lstatSync(fdPath(dirFd, name));
      } catch {
        continue; // gone meanwhile (a running container)
      }
      entries++;
      if (isOverlayWhiteout(st)) {
        await tar.add({ path: whiteoutPath(p), type: 'File', mode: 0o644 });
      } else if (st.isDirectory()) {
        let fd: number;
        try {
          fd = openSync(fdPath(dirFd, name), DIR_FLAGS);
        } catch {
          continue; // replaced by a link or removed meanwhile
        }
        try {
          await tar.add({ ...base(fstatSync(fd), p), type: 'Directory' });
          await walk(fd, p);
        } finally {
          closeSync(fd);
        }
      } else if (st.isSymbolicLink()) {
        await tar.add({ ...base(st, p), type: 'SymbolicLink', linkpath: readlinkSync(fdPath(dirFd, name)) });
      } else if (st.isFile()) {
        const id = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(id) : undefined;
        if (first) {
          await tar.add({ ...base(st, p), type: 'Link', linkpath: first });
          continue;
        }
        let fd: number;
        try {
          fd = openSync(fdPath(dirFd, name), FILE_FLAGS);
        } catch {
          continue;
        }
        const fst = fstatSync(fd);
        if (!fst.isFile()) {
          closeSync(fd);
          continue;
        }
        if (fst.nlink > 1) links.set(id, p);
        await tar.addFile({ ...base(fst, p), type: 'File', size: fst.size }, fd);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        await tar.add({ ...base(st, p), type: st.isCharacterDevice() ? 'CharacterDevice' : 'BlockDevice', devmaj: Math.floor(st.rdev / 256) & 0xfff, devmin: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
      } else if (st.isFIFO()) {
        await tar.add({ ...base(st, p), type: 'FIFO' });
      }
      // Sockets are not archived (as in docker).
    }
  };
  const root = openSync(upper, DIR_FLAGS);
  try {
    await walk(root, '');
  } finally {
    closeSync(root);
  }
  return { entries };
}

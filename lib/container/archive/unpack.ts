/**
 * A tar extracted into a directory inside a container (PUT /containers/{id}/archive, `racker
 * cp SRC CONTAINER:DEST`) or into a local directory (`racker cp CONTAINER:SRC DEST`), in two
 * passes over a spooled file:
 *
 *  1. check: every name is cleaned (a leading '/' dropped, as docker does), and the archive is
 *     refused — before anything is written — when a name climbs out of the destination, when
 *     an entry would be written through a symbolic link an earlier entry made, when a hard link
 *     points anywhere but at an earlier file of the same archive, or for entry types tar
 *     extraction can't do safely (sparse files, multi-volume);
 *  2. write: below the destination nothing is followed. Each parent is opened name by name
 *     (O_NOFOLLOW) from the destination's descriptor; a symbolic link or a file where a
 *     directory should be (one a process in a running container just made, or one that was
 *     there) stops the extraction. Files, links and hard links are made under a temporary name
 *     and renamed over the final one, so a link there is replaced, never written through.
 *     A directory is never replaced by a non-directory nor the other way round (docker's
 *     noOverwriteDirNonDir, which the docker CLI always asks for).
 *
 * Device nodes and FIFOs are skipped and counted, as `racker import` skips devices (Node can
 * make neither; systemd-nspawn provides /dev).
 */
import { closeSync, constants as c, createReadStream, fchmodSync, fchownSync, fstatSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeSync, chmodSync, chownSync } from 'node:fs';
import { randomBytes } from '../../startup/builtins.js';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { PermissionError, RackerError, UsageError } from '../../errors.js';
import { fdPath } from '../../fs/in-root.js';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const LOOKUP = O_PATH | c.O_NOFOLLOW | O_CLOEXEC;

export interface UnpackOptions {
  /** Owner of everything written; undefined keeps the archive's (docker's copyUIDGID / cp -a). */
  owner?: { uid: number; gid: number };
}

export interface UnpackResult {
  entries: number;
  /** Device nodes and FIFOs not made. */
  skipped: number;
}

/** A bad archive: the client's fault (400), named in docker's words where it has some. */
export class ArchiveError extends UsageError {}

type Kind = 'dir' | 'file' | 'symlink' | 'other';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Archive name → clean relative path ('.' for the destination itself); refuses an escape. */
export function cleanEntryName(name: string): string {
  const rel = path.posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) throw new ArchiveError(`invalid archive entry "${name}": it leads out of the destination`);
  return rel === '' ? '.' : rel;
}

function parentsOf(name: string): string[] {
  if (name === '.') return [];
  const parts = name.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Pass 1 over one entry, against the model of what earlier entries made. */
function check(entry: ReadEntry, tree: Map<string, Kind>): void {
  const name = cleanEntryName(entry.path);
  if (name.split('/').some((part) => /^GNUSparseFile\.\d+$/.test(part))) throw new ArchiveError(`invalid archive entry "${entry.path}": sparse files are not supported`);
  for (const parent of parentsOf(name)) {
    const kind = tree.get(parent);
    if (kind === 'symlink') throw new ArchiveError(`invalid archive entry "${entry.path}": it would be written through the symbolic link "${parent}"`);
    if (kind === 'file' || kind === 'other') throw new ArchiveError(`invalid archive entry "${entry.path}": "${parent}" is not a directory`);
  }
  switch (entry.type) {
    case 'Directory':
    case 'GNUDumpDir':
      tree.set(name, 'dir');
      return;
    case 'SymbolicLink':
      if (name === '.') throw new ArchiveError(`invalid archive entry "${entry.path}": it would replace the destination`);
      tree.set(name, 'symlink');
      return;
    case 'Link': {
      const target = cleanEntryName(entry.linkpath ?? '');
      const kind = tree.get(target);
      if (!entry.linkpath || (kind !== 'file' && kind !== 'symlink')) {
        throw new ArchiveError(`invalid archive entry "${entry.path}": hard link to "${entry.linkpath ?? ''}", which is not an earlier file of the archive`);
      }
      if (name === '.') throw new ArchiveError(`invalid archive entry "${entry.path}": it would replace the destination`);
      tree.set(name, kind);
      return;
    }
    case 'CharacterDevice':
    case 'BlockDevice':
    case 'FIFO':
      if (!tree.has(name)) tree.set(name, 'other');
      return;
    default:
      if (FILE_TYPES.has(entry.type)) {
        if (name === '.') throw new ArchiveError(`invalid archive entry "${entry.path}": it would replace the destination`);
        tree.set(name, 'file');
        return;
      }
      throw new ArchiveError(`invalid archive entry "${entry.path}": type ${entry.type} is not supported`);
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Write errors in docker's terms: a read-only root or volume is a 403, not a 500. */
function writeError(err: unknown, what: string): never {
  if (err instanceof RackerError) throw err;
  const code = errno(err);
  if (code === 'EROFS') throw new PermissionError(`cannot write ${what}: read-only file system`);
  if (code === 'ENOSPC' || code === 'EDQUOT') throw new RackerError(`cannot write ${what}: no space left on device`);
  throw new RackerError(`cannot write ${what}: ${(err as Error).message}`);
}

/** Pass 2's state: the destination's descriptor and the directories opened below it. */
class Writer {
  private readonly dirs = new Map<string, number>();
  /** Directories whose time is set last (their children change it). */
  private readonly dirTimes: { fd: number; mtime: Date }[] = [];
  entries = 0;
  skipped = 0;

  constructor(
    private readonly baseFd: number,
    private readonly opts: UnpackOptions,
  ) {
    this.dirs.set('.', baseFd);
  }

  close(): void {
    for (const [name, fd] of this.dirs) if (name !== '.') closeSync(fd);
    this.dirs.clear();
  }

  private lookup(dirFd: number, name: string): number | undefined {
    try {
      return openSync(fdPath(dirFd, name), LOOKUP);
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The directory `rel` below the destination, made when missing; nothing followed. */
  dir(rel: string, shown: string): number {
    const known = this.dirs.get(rel);
    if (known !== undefined) return known;
    const parentFd = this.dir(path.posix.dirname(rel), shown);
    const name = path.posix.basename(rel);
    let fd = this.lookup(parentFd, name);
    if (fd === undefined) {
      try {
        mkdirSync(fdPath(parentFd, name), 0o755);
      } catch (err) {
        if (errno(err) !== 'EEXIST') writeError(err, shown);
      }
      fd = this.lookup(parentFd, name);
      if (fd === undefined) throw new RackerError(`cannot write ${shown}: ${rel} vanished`);
    }
    const st = fstatSync(fd);
    if (!st.isDirectory()) {
      closeSync(fd);
      const what = st.isSymbolicLink() ? 'a symbolic link' : 'not a directory';
      throw new ArchiveError(`cannot extract "${shown}": "${rel}" in the destination is ${what}`);
    }
    // Bounded: a huge archive must not hold thousands of descriptors.
    if (this.dirs.size > 512) {
      this.close();
      this.dirs.set('.', this.baseFd);
    }
    this.dirs.set(rel, fd);
    return fd;
  }

  private ownerOf(entry: ReadEntry): { uid: number; gid: number } {
    return this.opts.owner ?? { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
  }

  /** What is at `name` in `dirFd` now: 'dir', 'other' or undefined. */
  private existing(dirFd: number, name: string): 'dir' | 'other' | undefined {
    const fd = this.lookup(dirFd, name);
    if (fd === undefined) return undefined;
    try {
      return fstatSync(fd).isDirectory() ? 'dir' : 'other';
    } finally {
      closeSync(fd);
    }
  }

  private tmpName(name: string): string {
    return `.${name.slice(0, 100)}.racker-${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  /** Start one entry; returns a sink for a file's data and its end, or undefined. */
  begin(entry: ReadEntry): { data(chunk: Buffer): void; end(): void; fail(): void } | undefined {
    const rel = cleanEntryName(entry.path);
    const shown = entry.path;
    const type = entry.type;
    if (type === 'CharacterDevice' || type === 'BlockDevice' || type === 'FIFO') {
      this.skipped++;
      return undefined;
    }
    const isDir = type === 'Directory' || type === 'GNUDumpDir';
    if (rel === '.') {
      // The destination itself: kept as it is (docker skips "." too).
      return undefined;
    }
    const parentFd = this.dir(path.posix.dirname(rel), shown);
    const name = path.posix.basename(rel);
    const there = this.existing(parentFd, name);
    const owner = this.ownerOf(entry);
    const mode = (entry.mode ?? (isDir ? 0o755 : 0o644)) & 0o7777;
    const mtime = entry.mtime ?? new Date();
    this.entries++;
    if (isDir) {
      if (there === 'other') throw new ArchiveError(`cannot overwrite non-directory "${rel}" with directory "${shown}"`);
      const fd = this.dir(rel, shown);
      try {
        chownSync(fdPath(fd), owner.uid, owner.gid);
        chmodSync(fdPath(fd), mode);
      } catch (err) {
        writeError(err, shown);
      }
      this.dirTimes.push({ fd: openSync(fdPath(fd), LOOKUP), mtime });
      return undefined;
    }
    if (there === 'dir') throw new ArchiveError(`cannot overwrite directory "${rel}" with non-directory "${shown}"`);
    const tmp = this.tmpName(name);
    const place = () => renameSync(fdPath(parentFd, tmp), fdPath(parentFd, name));
    const discard = () => {
      try {
        unlinkSync(fdPath(parentFd, tmp));
      } catch {
        /* never made, or renamed */
      }
    };
    try {
      if (type === 'SymbolicLink') {
        symlinkSync(entry.linkpath ?? '', fdPath(parentFd, tmp));
        lchownSync(fdPath(parentFd, tmp), owner.uid, owner.gid);
        lutimesSync(fdPath(parentFd, tmp), mtime, mtime);
        place();
        return undefined;
      }
      if (type === 'Link') {
        const target = cleanEntryName(entry.linkpath ?? '');
        const targetDir = this.dir(path.posix.dirname(target), shown);
        linkSync(fdPath(targetDir, path.posix.basename(target)), fdPath(parentFd, tmp));
        place();
        return undefined;
      }
    } catch (err) {
      discard();
      writeError(err, shown);
    }
    // A regular file: its data comes in chunks after this.
    let fd: number;
    try {
      fd = openSync(fdPath(parentFd, tmp), c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW | O_CLOEXEC, 0o600);
    } catch (err) {
      writeError(err, shown);
    }
    return {
      data: (chunk) => {
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
        } catch (err) {
          closeSync(fd);
          discard();
          writeError(err, shown);
        }
      },
      end: () => {
        try {
          fchownSync(fd, owner.uid, owner.gid);
          // After the chown, which clears set-id bits; exactly, not through the umask.
          fchmodSync(fd, mode);
          futimesSync(fd, mtime, mtime);
          closeSync(fd);
          place();
        } catch (err) {
          discard();
          writeError(err, shown);
        }
      },
      fail: () => {
        try {
          closeSync(fd);
        } catch {
          /* closed */
        }
        discard();
      },
    };
  }

  finish(): void {
    for (const { fd, mtime } of this.dirTimes.reverse()) {
      try {
        utimesSync(fdPath(fd), mtime, mtime);
      } finally {
        closeSync(fd);
      }
    }
    this.dirTimes.length = 0;
  }

  abandon(): void {
    for (const { fd } of this.dirTimes) closeSync(fd);
    this.dirTimes.length = 0;
  }
}

/** Run node-tar's parser over `file`, handing each entry to `onEntry` (sync) and awaiting the end. */
function parse(file: string, onEntry: (entry: ReadEntry, fail: (err: Error) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed: Error | undefined;
    const parser = new Parser({ strict: true, brotli: false, zstd: false } as never);
    const fail = (err: Error) => {
      if (failed) return;
      failed = err;
      input.unpipe();
      input.destroy();
      reject(err);
    };
    parser.on('entry', (entry: ReadEntry) => {
      if (failed) return entry.resume();
      try {
        onEntry(entry, fail);
      } catch (err) {
        entry.resume();
        fail(err as Error);
      }
    });
    parser.on('error', (err: Error) => fail(err instanceof RackerError ? err : new ArchiveError(`invalid tar archive: ${err.message}`)));
    parser.on('warn', (_code: string, message: string | Error) => fail(new ArchiveError(`invalid tar archive: ${message instanceof Error ? message.message : message}`)));
    parser.on('end', () => {
      if (!failed) resolve();
    });
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    input.on('error', (err) => fail(err));
    input.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

/** Pass 1: is the archive in `file` safe to extract? Throws an ArchiveError when not. */
export async function checkArchive(file: string): Promise<void> {
  const tree = new Map<string, Kind>();
  await parse(file, (entry) => {
    check(entry, tree);
    entry.resume();
  });
}

/**
 * Both passes: check `file`, then extract it into the directory `baseFd` (an O_PATH
 * descriptor the caller found, inside the container's root).
 */
export async function unpackArchive(file: string, baseFd: number, opts: UnpackOptions = {}): Promise<UnpackResult> {
  await checkArchive(file);
  const writer = new Writer(baseFd, opts);
  try {
    await parse(file, (entry, fail) => {
      const sink = writer.begin(entry);
      if (!sink) return entry.resume();
      let broken = false;
      entry.on('data', (chunk: Buffer) => {
        if (broken) return;
        try {
          sink.data(chunk);
        } catch (err) {
          broken = true;
          fail(err as Error);
        }
      });
      entry.on('end', () => {
        if (broken) return sink.fail();
        try {
          sink.end();
        } catch (err) {
          fail(err as Error);
        }
      });
    });
    writer.finish();
  } catch (err) {
    writer.abandon();
    throw err;
  } finally {
    writer.close();
  }
  return { entries: writer.entries, skipped: writer.skipped };
}

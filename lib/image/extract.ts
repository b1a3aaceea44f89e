/**
 * Unpack a rootfs tarball (`racker import FILE|URL`) into an empty directory, safely.
 *
 * racker runs as root and the tarball comes from the internet, so every entry is checked
 * before anything touches the disk. node-tar's own guards (its default `preservePaths: false`)
 * are NOT usable for an OS tree: they rewrite absolute symlink targets into relative ones
 * (`/etc/alternatives/java` becomes `etc/alternatives/java`, which then points somewhere else)
 * and refuse symlinks whose *target* passes through another symlink — e.g. Debian's
 * `lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/…` when `/lib -> usr/lib`, so every
 * merged-/usr image would fail. So node-tar runs with `preservePaths: true` and this module
 * does the path policing itself, from a model of the tree kept in archive order:
 *
 *  - absolute paths lose their leading '/' (docker does the same); `a/../b` is cleaned to `b`;
 *    a path that climbs out of the root is refused;
 *  - no entry may be written through a symbolic link created by an earlier entry
 *    (`lib -> /etc` then `lib/passwd`), and no hardlink may point through one;
 *  - hardlinks must point at an earlier regular file or symlink in the archive (so never at a
 *    host file);
 *  - symlinks may point anywhere: they are only ever resolved inside the container, and
 *    nothing here follows them (an existing symlink in the way of an entry is unlinked, not
 *    followed — node-tar lstat()s first).
 *
 * The model is exact because the destination starts empty (checked) and node-tar serialises
 * operations on the same path and its parents in archive order (its path reservations).
 *
 * Other decisions:
 *  - character/block devices are skipped and counted: systemd-nspawn builds /dev itself;
 *  - FIFOs are kept: node-tar never creates them and Node cannot mkfifo, so they are made
 *    after extraction with mkfifo(1) (through lib/exec/stream.ts);
 *  - setuid/setgid bits, sticky bits and exact modes are kept (a rootfs needs setuid `su`):
 *    node-tar creates files through the umask and a root chown() clears S_ISUID/S_ISGID,
 *    and it forces u+rwx on directories, so a final pass re-applies the archive's modes,
 *    directory mtimes (which later entries changed) and symlink owners and times;
 *  - extended attributes are NOT restored: node-tar's PAX parser keeps only a fixed set of
 *    keys (SCHILY.xattr.* and ACL records are dropped) and Node has no setxattr, so file
 *    capabilities (security.capability), SELinux labels and ACLs are lost;
 *  - GNU sparse files and multi-volume archives are refused rather than half-extracted;
 *  - the total size of file contents is capped (`maxBytes`), because a small compressed
 *    archive can expand to fill the disk. node-tar's own compression-ratio guard is off:
 *    every format is decompressed outside it (gzip by Node's streaming zlib), and the cap covers
 *    all of them.
 */
import fs, { constants as fsConstants, createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
import { CommandError, MissingToolError, NotFoundError, RackerError, UsageError } from '../errors.js';
import { spawnStream } from '../exec/stream.js';
import type { Logger } from '../log.js';

export interface ExtractResult {
  /** Entries created (directories, files, links, FIFOs). */
  entries: number;
  /** Bytes of file contents written. */
  bytes: number;
  /** Device nodes in the archive that were not created (systemd-nspawn provides /dev). */
  skippedDevices: number;
}

export interface ExtractOptions {
  /** Called with the number of bytes of the source file read so far (compare with its size). */
  onProgress?: (bytes: number) => void;
  /** Refuse archives whose file contents add up to more than this. Default 64 GiB. */
  maxBytes?: number;
  /** Warnings (skipped device nodes) and decompressor timings go here. */
  log?: Logger;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd' | 'bzip2';

/** Decompressors run as separate programs (node-tar on Node 20 only handles gzip itself). */
const DECOMPRESSORS: Partial<Record<Compression, readonly string[]>> = {
  xz: ['xz', '-d', '-c', '-q'],
  // Node 20's zlib has no zstd, although node-tar would try to use it.
  zstd: ['zstd', '-d', '-c', '-q'],
  bzip2: ['bzip2', '-d', '-c', '-q'],
};

/** By content, not by file name: `racker import` also takes URLs and odd names. */
export function detectCompression(head: Buffer): Compression {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  return 'none';
}

export async function extractRootfs(source: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const root = path.resolve(dest);
  const head = await readHead(source);
  await assertEmptyDir(root);
  const compression = detectCompression(head);
  const tree = new TreeModel(source, opts.maxBytes ?? DEFAULT_MAX_BYTES);

  const unpack = new Unpack({
    cwd: root,
    // The checks preservePaths disables are done by `tree` (see the top of this file).
    preservePaths: true,
    preserveOwner: true,
    // Every warning (bad checksum, failed chown, ENOSPC, …) fails the import.
    strict: true,
    maxDecompressionRatio: Infinity,
    // Directories tar creates implicitly (parents not in the archive); not umask-dependent.
    dmode: 0o755,
    fmode: 0o644,
    // Compression is detected above and undone before node-tar, which only ever sees plain tar.
    brotli: false,
    zstd: false,
    filter: (_path, entry) => tree.admit(entry as ReadEntry, abort),
  });
  // Outside the parser's call stack, and with a fresh Error: node-tar decorates what it gets.
  function abort(err: Error): void {
    queueMicrotask(() => unpack.abort(new Error(err.message)));
  }
  unpack.on('ignoredEntry', (entry: ReadEntry) => {
    const err = tree.ignored(entry);
    if (err) abort(err);
  });

  const file = createReadStream(source, { highWaterMark: 1024 * 1024 });
  let read = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      read += chunk.length;
      opts.onProgress?.(read);
      callback(null, chunk);
    },
  });
  file.on('error', (err) => counted.destroy(err));
  file.pipe(counted);

  const argv = DECOMPRESSORS[compression];
  const decompressor = argv ? spawnStream(argv, { stdin: counted, ...(opts.log ? { log: opts.log } : {}) }) : undefined;
  // gzip through Node's streaming gunzip, not node-tar's: node-tar inflates each chunk it is
  // handed in one synchronous call, so one 1 MB chunk of zeros became 1 GB in memory, and an
  // extraction that failed (a full disk) still inflated the whole archive first. Measured: a
  // 10 MB .tar.gz holding a 10 GB file took 31 s and >1 GB RSS to fail on a 64 MB tmpfs.
  const gunzip = compression === 'gzip' ? createGunzip() : undefined;
  if (gunzip) counted.pipe(gunzip);
  const input: Readable = decompressor ? decompressor.stdout : (gunzip ?? counted);

  const unpacked = new Promise<void>((resolve, reject) => {
    unpack.on('close', () => resolve());
    unpack.on('error', reject);
    counted.on('error', reject);
    input.on('error', reject);
  });
  // Readable.pipe works with node-tar's Minipass writables (tar's README pipes fs streams in).
  input.pipe(unpack as unknown as NodeJS.WritableStream);

  const [u, d] = await Promise.allSettled([
    unpacked.catch((err: unknown) => {
      // Stop feeding a failed extraction, and stop a decompressor nobody reads any more.
      input.unpipe();
      file.destroy();
      counted.destroy();
      gunzip?.destroy();
      decompressor?.kill();
      throw err;
    }),
    decompressor?.done ?? Promise.resolve(),
  ]);
  // Before the caller removes the destination: writes node-tar already started must be done.
  if (u.status === 'rejected' || tree.fatal) await settled(unpack);
  if (tree.fatal) throw tree.fatal;
  // A decompressor that failed on its own (corrupt data, not installed) explains the
  // "truncated archive" node-tar then reports; one we killed does not.
  if (d.status === 'rejected') {
    const err: unknown = d.reason;
    if (err instanceof MissingToolError) throw err; // keeps its "apt-get install" hint
    if ((err instanceof CommandError && !err.signal) || u.status === 'fulfilled') {
      throw new RackerError(`cannot decompress ${source}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (u.status === 'rejected') {
    const err: unknown = u.reason;
    if (err instanceof RackerError) throw err;
    throw new RackerError(`cannot extract ${source}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }

  await tree.finish(root, opts.log);
  if (tree.skippedDevices > 0) {
    opts.log?.warn(`skipped ${tree.skippedDevices} device node(s) in ${source}; systemd-nspawn provides /dev`);
  }
  return { entries: tree.entries, bytes: tree.bytes, skippedDevices: tree.skippedDevices };
}

/**
 * node-tar finishes the file system operations it started after an abort, and with
 * preservePaths its mkdirp recreates missing parents: a caller that removed the destination
 * at once found part of it back (rootfs/etc/hostname, in one failed import in five). Wait
 * until node-tar's count of pending entries (a private field, looked up by its name; without
 * it, no wait) is 0. Measured: 5-45 ms. Bounded, since an entry cut off by a corrupt stream
 * waits for data that never comes.
 */
async function settled(unpack: Unpack, timeoutMs = 1000): Promise<void> {
  const key = Object.getOwnPropertySymbols(unpack).find((s) => s.description === 'pending');
  const pending = () => (key ? Number((unpack as unknown as Record<symbol, unknown>)[key]) || 0 : 0);
  const t0 = Date.now();
  while (pending() > 0 && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 5));
}

async function readHead(source: string): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(source, fsConstants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file: ${source}`);
    throw err;
  }
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function assertEmptyDir(dir: string): Promise<void> {
  // The tree model assumes it starts from nothing; a pre-existing symlink would escape it.
  const names = await fsp.readdir(dir);
  if (names.length > 0) throw new RackerError(`extraction target ${dir} is not empty`);
}

type Kind = 'dir' | 'file' | 'symlink' | 'fifo' | 'device';

interface Meta {
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  mtime: Date | undefined;
}

interface Node {
  kind: Kind;
  /** Set for the entry that created the inode (not for hardlinks to it, nor implicit parents). */
  meta?: Meta;
}

const SPARSE_NAME = /^GNUSparseFile\.\d+$/;

/** What the destination will contain, entry by entry, in archive order. Paths are relative, '.' is the root. */
class TreeModel {
  readonly nodes = new Map<string, Node>();
  entries = 0;
  bytes = 0;
  skippedDevices = 0;
  fatal: RackerError | undefined;
  /** Entries the filter saw: node-tar reports those it skipped as "ignored" too. */
  private readonly seen = new WeakSet<ReadEntry>();

  constructor(
    private readonly source: string,
    private readonly maxBytes: number,
  ) {}

  /** node-tar's filter: validate, normalise entry.path/linkpath in place, update the model. */
  admit(entry: ReadEntry, abort: (err: Error) => void): boolean {
    this.seen.add(entry);
    if (this.fatal) return false;
    try {
      return this.admitOrThrow(entry);
    } catch (err) {
      this.fatal =
        err instanceof RackerError
          ? err
          : new RackerError(`cannot extract ${this.source}: ${err instanceof Error ? err.message : String(err)}`);
      abort(this.fatal);
      return false;
    }
  }

  /** Entries node-tar skips without asking the filter: unknown types, oversized headers. */
  ignored(entry: ReadEntry): RackerError | undefined {
    if (this.seen.has(entry) || this.fatal) return undefined;
    // Harmless metadata: a tape label, per-file ACLs (not restored, like xattrs), dump inode records.
    if (entry.type === 'TapeVolumeHeader' || entry.type === 'SolarisACL' || entry.type === 'Inode') return undefined;
    const what =
      entry.type === 'SparseFile'
        ? `sparse file "${entry.path}" (created with tar --sparse) is not supported`
        : entry.type === 'ContinuationFile'
          ? 'multi-volume archives are not supported'
          : entry.meta
            ? `header of entry "${entry.path}" is too large`
            : `entry "${entry.path}" has an unsupported type (${entry.type})`;
    this.fatal = new UsageError(`refusing to import ${this.source}: ${what}`);
    return this.fatal;
  }

  private admitOrThrow(entry: ReadEntry): boolean {
    const original = entry.path;
    const name = this.clean(original, original);
    if (name.split('/').some((part) => SPARSE_NAME.test(part))) {
      throw new UsageError(`refusing to import: "${original}" is a GNU sparse file (tar --sparse), which is not supported`);
    }
    const meta: Meta = { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime };
    const isRoot = name === '.';

    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir':
        this.makeParents(name, original);
        this.nodes.set(name, { kind: 'dir', meta });
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.refuseRoot(isRoot, original);
        this.makeParents(name, original);
        this.bytes += entry.size;
        if (this.bytes > this.maxBytes) {
          throw new UsageError(
            `refusing to import ${this.source}: its files add up to more than ${formatBytes(this.maxBytes)}`,
          );
        }
        this.nodes.set(name, { kind: 'file', meta });
        break;
      case 'SymbolicLink':
        // The target is kept verbatim: it is resolved inside the container, never here.
        this.refuseRoot(isRoot, original);
        this.makeParents(name, original);
        this.nodes.set(name, { kind: 'symlink', meta });
        break;
      case 'Link': {
        this.refuseRoot(isRoot, original);
        const target = this.hardlinkTarget(entry, name, original);
        if (target === undefined) return false;
        entry.linkpath = target;
        break;
      }
      case 'FIFO':
        this.refuseRoot(isRoot, original);
        this.makeParents(name, original);
        this.nodes.set(name, { kind: 'fifo', meta });
        this.entries++;
        return false; // created in finish()
      case 'CharacterDevice':
      case 'BlockDevice':
        if (!this.nodes.has(name)) this.nodes.set(name, { kind: 'device' });
        this.skippedDevices++;
        return false;
      default:
        throw new UsageError(`refusing to import ${this.source}: entry "${original}" has an unsupported type (${entry.type})`);
    }
    entry.path = name;
    this.entries++;
    return true;
  }

  /** Archive path → clean relative path; refuses one that climbs out of the root. */
  private clean(p: string, original: string): string {
    const rel = path.posix.normalize(p.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../')) {
      throw new UsageError(`refusing to import: entry "${original}" escapes the root`);
    }
    return rel === '' ? '.' : rel;
  }

  private refuseRoot(isRoot: boolean, original: string): void {
    if (isRoot) throw new UsageError(`refusing to import: entry "${original}" would replace the root directory`);
  }

  /** Every parent of `name` will be a real directory: refuse symlinks and files in the way. */
  private makeParents(name: string, original: string): void {
    for (const parent of parentsOf(name)) {
      const kind = this.nodes.get(parent)?.kind;
      if (kind === 'symlink') {
        throw new UsageError(`refusing to import: entry "${original}" would be written through the symbolic link "${parent}"`);
      }
      if (kind === 'file') {
        throw new UsageError(`refusing to import: entry "${original}" is inside "${parent}", which is not a directory`);
      }
      // Absent, or a FIFO/device not on disk yet: tar creates a directory there.
      if (kind !== 'dir') this.nodes.set(parent, { kind: 'dir' });
    }
  }

  /** Returns the cleaned target, or undefined to skip the entry. */
  private hardlinkTarget(entry: ReadEntry, name: string, original: string): string | undefined {
    const raw = entry.linkpath ?? '';
    const target = this.clean(raw, raw);
    if (raw === '' || target === '.') {
      throw new UsageError(`refusing to import: hardlink "${original}" has no valid target`);
    }
    // link(2) follows symlinks in the target's directories: never let it leave the tree.
    for (const parent of parentsOf(target)) {
      const kind = this.nodes.get(parent)?.kind;
      if (kind === 'symlink' || kind === 'file') {
        throw new UsageError(`refusing to import: hardlink "${original}" points through the symbolic link "${parent}"`);
      }
    }
    const node = this.nodes.get(target);
    if (!node || node.kind === 'dir') {
      throw new UsageError(
        `refusing to import: hardlink "${original}" points to "${raw}", which is not an earlier file in the archive`,
      );
    }
    if (target === name) return undefined; // a link to itself: nothing to do
    this.makeParents(name, original);
    if (node.kind === 'device') {
      if (!this.nodes.has(name)) this.nodes.set(name, { kind: 'device' });
      this.skippedDevices++;
      return undefined;
    }
    if (node.kind === 'fifo') {
      // The target FIFO does not exist until finish(); make this one a FIFO of its own.
      this.nodes.set(name, { kind: 'fifo', ...(node.meta ? { meta: node.meta } : {}) });
      this.entries++;
      return undefined;
    }
    this.nodes.set(name, { kind: node.kind });
    return target;
  }

  /** True if every parent of `name` is (still) a directory in the final tree. */
  private reachable(name: string): boolean {
    return parentsOf(name).every((p) => {
      const kind = this.nodes.get(p)?.kind;
      return kind === undefined || kind === 'dir';
    });
  }

  /**
   * After node-tar: create FIFOs, then re-apply what node-tar does not keep exactly (modes
   * through umask and chown, symlink owners and times, directory modes and mtimes).
   * Synchronous calls: tens of thousands of tiny syscalls, far cheaper than promises.
   * Directories come last, since creating FIFOs changes their mtimes. Each path is lstat()ed
   * first and skipped unless it is what the model expects, so nothing here follows a symlink.
   */
  async finish(root: string, log: Logger | undefined): Promise<void> {
    const final = [...this.nodes].filter(([name]) => this.reachable(name));
    const abs = (name: string) => (name === '.' ? root : path.join(root, name));

    const fifos = final.filter(([, n]) => n.kind === 'fifo');
    for (const [name] of fifos) {
      // Parents no other entry needed were never made by tar.
      for (const parent of parentsOf(name)) {
        const st = lstatOrUndefined(abs(parent));
        if (!st) {
          fs.mkdirSync(abs(parent), 0o755);
          fs.chmodSync(abs(parent), 0o755); // not the umask's choice
        } else if (!st.isDirectory()) {
          throw new RackerError(`cannot create FIFO ${name}: ${parent} is not a directory`);
        }
      }
      const st = lstatOrUndefined(abs(name));
      if (st && !st.isDirectory()) fs.unlinkSync(abs(name));
    }
    for (let i = 0; i < fifos.length; i += 500) {
      const batch = fifos.slice(i, i + 500).map(([name]) => abs(name));
      const p = spawnStream(['mkfifo', '-m', '600', '--', ...batch], log ? { log } : {});
      p.stdout.resume();
      await p.done;
    }

    for (const [name, node] of final) {
      const meta = node.meta;
      if (!meta || node.kind === 'dir') continue;
      const file = abs(name);
      const st = lstatOrUndefined(file);
      if (!st) continue;
      if (node.kind === 'symlink' && st.isSymbolicLink()) {
        if ((meta.uid ?? 0) !== st.uid || (meta.gid ?? 0) !== st.gid) fs.lchownSync(file, meta.uid ?? 0, meta.gid ?? 0);
        if (meta.mtime) fs.lutimesSync(file, meta.mtime, meta.mtime);
      } else if ((node.kind === 'file' && st.isFile()) || (node.kind === 'fifo' && st.isFIFO())) {
        if (node.kind === 'fifo') {
          fs.lchownSync(file, meta.uid ?? 0, meta.gid ?? 0);
          if (meta.mtime) fs.utimesSync(file, meta.mtime, meta.mtime);
        }
        if (meta.mode !== undefined && (st.mode & 0o7777) !== meta.mode) fs.chmodSync(file, meta.mode);
      }
    }

    for (const [name, node] of final) {
      if (node.kind !== 'dir' || !node.meta) continue;
      const dir = abs(name);
      const st = lstatOrUndefined(dir);
      if (!st?.isDirectory()) continue;
      if (node.meta.mode !== undefined && (st.mode & 0o7777) !== node.meta.mode) fs.chmodSync(dir, node.meta.mode);
      if (node.meta.mtime) fs.utimesSync(dir, node.meta.mtime, node.meta.mtime);
    }
  }
}

/** 'a/b/c' → ['a', 'a/b']. */
function parentsOf(name: string): string[] {
  if (name === '.') return [];
  const parts = name.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function formatBytes(n: number): string {
  const gib = n / 1024 ** 3;
  return gib >= 1 ? `${+gib.toFixed(1)} GiB` : `${n} bytes`;
}

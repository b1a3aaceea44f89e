/**
 * Paths that name something inside a container, resolved inside it.
 *
 * The host resolving `<root>/<path>` follows an absolute symlink to the host's own root and
 * `..` past the container's: an image (or any process in a running container) could make
 * racker read, write or chdir into a host path (runc's CVE-2024-21626 class). Here every
 * step is the lookup of one name in a directory racker holds open (`/proc/self/fd/N/NAME`,
 * the final name never followed), symlinks are read and interpreted by this code (an
 * absolute target means the container's /, `..` stops at the root), and what is used
 * afterwards is the descriptor that was checked, not a path the container could swap. That
 * is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), which Node can't call, step by step.
 *
 * Everything is synchronous: each call is one short syscall that never waits on the
 * container (O_PATH opens a FIFO or a device without opening it), so nothing here can tie
 * up Node's thread pool the way a blocking read did (issue 26).
 */
import { randomBytes } from '../startup/builtins.js';
import { closeSync, constants as c, fchmodSync, fchownSync, fstatSync, fsyncSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, symlinkSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';

/** Linux's O_PATH (node's fs.constants lacks it): a handle for lookups and fstat, opening nothing. */
const O_PATH = 0o10000000;
/** Not in node's fs.constants either; libuv sets it on every open anyway, this says so. */
const O_CLOEXEC = 0o2000000;
const LOOKUP = O_PATH | c.O_NOFOLLOW | O_CLOEXEC;
/** As many links as the kernel follows in one path (MAXSYMLINKS). */
const MAX_LINKS = 40;

/** A path inside a container that racker could not use; the message names it as the container sees it. */
export class InRootError extends RackerError {
  constructor(
    message: string,
    readonly code: 'ELOOP' | 'ENOTREG' | 'EFBIG' | 'ENOTDIR' | 'EISDIR',
  ) {
    super(message);
  }
}

/** What a path names, found inside the root. The descriptors belong to the ContainerRoot. */
export interface Found {
  /** O_PATH descriptor of the entry; undefined when it does not exist (its directory does). */
  fd: number | undefined;
  stat: Stats | undefined;
  /** The directory holding the entry (the root for "/" itself). */
  dirFd: number;
  /** The entry's name in dirFd; undefined for the root itself. */
  name: string | undefined;
  /** Where it is inside the container, every link resolved ("/" for the root). */
  path: string;
}

/** `/proc/self/fd/N[/NAME]`: a name looked up in a directory racker holds, with no path walk of the host's. */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** A running container's root as the host reaches it: its own view, with its /tmp and /run mounts. */
export function processRoot(pid: number): string {
  return `/proc/${pid}/root`;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** A host file's bytes into an open descriptor, in bounded memory. */
function copyInto(fd: number, hostFile: string): void {
  const src = openSync(hostFile, c.O_RDONLY | O_CLOEXEC);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0; ) {
      for (let off = 0; off < n; ) off += writeSync(fd, buf, off, n - off);
    }
  } finally {
    closeSync(src);
  }
}

interface Step {
  fd: number;
  name: string;
}

/**
 * One container's root, opened once; every lookup below stays inside it. `hostPath` is
 * how the host reaches the root: the overlay mount before the container starts, or
 * `/proc/<leader>/root` while it runs (the container's own view, with its /tmp and /run).
 */
export class ContainerRoot {
  private readonly owned: number[] = [];
  readonly fd: number;

  private constructor(fd: number) {
    this.fd = fd;
    this.owned.push(fd);
  }

  static open(hostPath: string): ContainerRoot {
    // The root itself is racker's choice (its own mount, or the kernel's /proc link): followed.
    return new ContainerRoot(openSync(hostPath, O_PATH | c.O_DIRECTORY | O_CLOEXEC));
  }

  /** Open `hostPath`, run `fn`, close every descriptor it opened. */
  static with<T>(hostPath: string, fn: (root: ContainerRoot) => T): T {
    const root = ContainerRoot.open(hostPath);
    try {
      const out = fn(root);
      // The descriptors close when fn returns: work that outlives it must open the root itself.
      if (out instanceof Promise) throw new Error('ContainerRoot.with takes synchronous work only');
      return out;
    } finally {
      root.close();
    }
  }

  close(): void {
    for (const fd of this.owned.splice(0)) closeSync(fd);
  }

  private lookup(dirFd: number, name: string): number | undefined {
    try {
      const fd = openSync(fdPath(dirFd, name), LOOKUP);
      this.owned.push(fd);
      return fd;
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  /**
   * Resolve `p` (in container terms; relative means relative to "/") inside the root.
   * Links are followed inside the root, the final one too unless `follow` is false.
   * Undefined when a directory on the way is missing or not a directory; with `create`,
   * missing directories are made (mode 0755, root's) instead, the final name too.
   */
  find(p: string, opts: { follow?: boolean; create?: boolean } = {}): Found | undefined {
    const follow = opts.follow ?? true;
    const stack: Step[] = [{ fd: this.fd, name: '' }];
    let pending = p.split('/').filter((s) => s !== '' && s !== '.');
    let links = 0;
    const here = () => stack[stack.length - 1]!;
    const inside = () => `/${stack.slice(1).map((s) => s.name).join('/')}`;
    if (!pending.length) return { fd: this.fd, stat: fstatSync(this.fd), dirFd: this.fd, name: undefined, path: '/' };
    while (pending.length) {
      const name = pending.shift()!;
      const last = pending.length === 0;
      if (name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        if (last) return this.found(stack);
        continue;
      }
      let fd = this.lookup(here().fd, name);
      if (fd === undefined && opts.create && !last) {
        try {
          mkdirSync(fdPath(here().fd, name), 0o755);
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw err;
        }
        fd = this.lookup(here().fd, name);
      }
      if (fd === undefined) {
        if (!last) return undefined;
        return { fd: undefined, stat: undefined, dirFd: here().fd, name, path: path.posix.join(inside(), name) };
      }
      const stat = fstatSync(fd);
      if (stat.isSymbolicLink() && (follow || !last)) {
        if (++links > MAX_LINKS) throw new InRootError(`too many levels of symbolic links in ${p}`, 'ELOOP');
        let target: string;
        try {
          target = readlinkSync(fdPath(here().fd, name));
        } catch (err) {
          // Replaced since the lookup: look again (bounded by MAX_LINKS).
          if (errno(err) === 'EINVAL' || errno(err) === 'ENOENT') {
            pending.unshift(name);
            continue;
          }
          throw err;
        }
        if (target.startsWith('/')) stack.splice(1);
        const parts = target.split('/').filter((s) => s !== '' && s !== '.');
        // A link to "/" (or to "."): the directory it resolves to is the answer.
        if (!parts.length && last) return this.found(stack);
        pending = [...parts, ...pending];
        continue;
      }
      if (stat.isDirectory()) {
        stack.push({ fd, name });
        if (last) return this.found(stack, stat);
        continue;
      }
      if (!last) return undefined; // a file where a directory should be: ENOTDIR, as good as missing
      return { fd, stat, dirFd: here().fd, name, path: path.posix.join(inside(), name) };
    }
    return this.found(stack);
  }

  private found(stack: Step[], stat?: Stats): Found {
    const top = stack[stack.length - 1]!;
    const parent = stack.length > 1 ? stack[stack.length - 2]! : top;
    return {
      fd: top.fd,
      stat: stat ?? fstatSync(top.fd),
      dirFd: parent.fd,
      name: stack.length > 1 ? top.name : undefined,
      path: `/${stack.slice(1).map((s) => s.name).join('/')}`,
    };
  }

  /** The entry's stat (links followed inside the root), or undefined when there is none. */
  stat(p: string): Stats | undefined {
    return this.find(p)?.stat;
  }

  /** Like stat, with a link loop counted as nothing there: for questions like "does the image have X". */
  statOrNothing(p: string): Stats | undefined {
    try {
      return this.stat(p);
    } catch (err) {
      if (err instanceof InRootError) return undefined;
      throw err;
    }
  }

  /** A directory inside the root (links followed inside it); with `create`, made with its parents when missing. */
  directory(p: string, opts: { create?: boolean } = {}): Found | undefined {
    const create = opts.create ?? false;
    let found = this.find(p, { create });
    if (found && found.fd === undefined && create) {
      try {
        mkdirSync(fdPath(found.dirFd, found.name), 0o755);
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
      found = this.find(p);
    }
    if (found?.fd === undefined) {
      if (create) throw new InRootError(`${p} is not a directory in the container`, 'ENOTDIR');
      return undefined;
    }
    if (!found.stat!.isDirectory()) throw new InRootError(`${p} is not a directory in the container`, 'ENOTDIR');
    return found;
  }

  /**
   * A regular file's contents, at most `maxBytes`; undefined when it does not exist. A FIFO,
   * device, socket or directory there is refused, never opened: a read of those could block
   * for ever or have effects.
   */
  readFile(p: string, maxBytes = 4 << 20): Buffer | undefined {
    const found = this.find(p);
    if (found?.fd === undefined) return undefined;
    if (!found.stat!.isFile()) throw new InRootError(`${p} in the container is not a regular file`, 'ENOTREG');
    if (found.stat!.size > maxBytes) throw new InRootError(`${p} in the container is larger than ${maxBytes} bytes`, 'EFBIG');
    // The checked inode itself, reopened for reading: no path lookup in between.
    const fd = openSync(fdPath(found.fd), c.O_RDONLY | c.O_NONBLOCK | O_CLOEXEC);
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.alloc(Math.min(64 << 10, maxBytes + 1 - total));
        const n = readSync(fd, chunk, 0, chunk.length, null);
        if (n === 0) break;
        chunks.push(chunk.subarray(0, n));
        total += n;
        // It grew since the fstat: the bound still holds.
        if (total > maxBytes) throw new InRootError(`${p} in the container is larger than ${maxBytes} bytes`, 'EFBIG');
      }
      return Buffer.concat(chunks, total);
    } finally {
      closeSync(fd);
    }
  }

  readText(p: string, maxBytes?: number): string | undefined {
    return this.readFile(p, maxBytes)?.toString('utf8');
  }

  /**
   * Replace `p` atomically with `data`: a new file in the directory `p` resolves to (inside
   * the root; made when missing), renamed over the final name. A link at the final name is
   * replaced, never followed. Mode and owner default to the replaced file's (else 0644, root).
   * `durable: false` skips the fsync (a file rewritten at every start).
   */
  writeFile(p: string, data: string | Buffer | { hostFile: string }, opts: { mode?: number; uid?: number; gid?: number; durable?: boolean } = {}): string {
    const name = path.posix.basename(p);
    if (!name || name === '.' || name === '..' || p.endsWith('/')) throw new InRootError(`${p} names a directory, not a file`, 'EISDIR');
    const dir = this.directory(path.posix.dirname(p), { create: true })!;
    const dirFd = dir.fd!;
    const oldFd = this.lookup(dirFd, name);
    const old = oldFd === undefined ? undefined : fstatSync(oldFd);
    const keep = old?.isFile() ? old : undefined;
    const mode = opts.mode ?? (keep ? keep.mode & 0o7777 : 0o644);
    const tmp = `.${name}.racker-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fd = openSync(fdPath(dirFd, tmp), c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW | O_CLOEXEC, 0o600);
      try {
        if (typeof data === 'object' && 'hostFile' in data) copyInto(fd, data.hostFile);
        else {
          const buf = typeof data === 'string' ? Buffer.from(data) : data;
          for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
        }
        fchownSync(fd, opts.uid ?? keep?.uid ?? 0, opts.gid ?? keep?.gid ?? 0);
        // After the chown (which clears set-id bits), and exactly: the umask would narrow it.
        fchmodSync(fd, mode);
        if (opts.durable !== false) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(fdPath(dirFd, tmp), fdPath(dirFd, name));
    } catch (err) {
      try {
        unlinkSync(fdPath(dirFd, tmp));
      } catch {
        /* renamed already, or never made */
      }
      if (errno(err) === 'EISDIR') throw new InRootError(`${p} is a directory in the container`, 'EISDIR');
      throw err;
    }
    return path.posix.join(dir.path, name);
  }

  /**
   * Make `p` a symbolic link to `target` (a path the container resolves: nothing on the host
   * follows it), replacing what is there atomically unless it is a directory; its directory
   * is made when missing. Unchanged when it already points there.
   */
  symlink(p: string, target: string): void {
    const name = path.posix.basename(p);
    if (!name || name === '.' || name === '..' || p.endsWith('/')) throw new InRootError(`${p} names a directory, not a link`, 'EISDIR');
    const dirFd = this.directory(path.posix.dirname(p), { create: true })!.fd!;
    const oldFd = this.lookup(dirFd, name);
    if (oldFd !== undefined) {
      const old = fstatSync(oldFd);
      if (old.isDirectory()) throw new InRootError(`${p} is a directory in the container`, 'EISDIR');
      if (old.isSymbolicLink() && readlinkSync(fdPath(dirFd, name)) === target) return;
    }
    const tmp = `.${name}.racker-${process.pid}-${randomBytes(4).toString('hex')}`;
    symlinkSync(target, fdPath(dirFd, tmp));
    try {
      renameSync(fdPath(dirFd, tmp), fdPath(dirFd, name));
    } catch (err) {
      unlinkSync(fdPath(dirFd, tmp));
      throw err;
    }
  }
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { Header, type HeaderData } from 'tar';
import { CommandError, MissingToolError, RackerError, UsageError } from '../../lib/errors.js';
import { spawnStream } from '../../lib/exec/stream.js';
import { detectCompression, extractRootfs } from '../../lib/image/extract.js';
import { needs } from '../helpers/integration.js';

/** One forged tar entry: headers are written by hand so hostile names survive. */
interface Entry extends HeaderData {
  body?: string | Buffer;
}

const MTIME = new Date('2020-01-02T03:04:05Z');

function tarball(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { body, ...data } of entries) {
    const content = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    const header = new Header({
      mode: data.type === 'Directory' ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      mtime: MTIME,
      type: 'File',
      ...data,
      size: content.length,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const haveProgram = (name: string) => {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const isRoot = process.getuid?.() === 0;

describe('extractRootfs', () => {
  let base: string;
  let dest: string;
  let sentinel: string;
  let archives: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'racker-extract-'));
    dest = path.join(base, 'dest');
    sentinel = path.join(base, 'sentinel');
    archives = path.join(base, 'archives');
    for (const d of [dest, sentinel, archives]) fs.mkdirSync(d);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  function write(name: string, data: Buffer): string {
    const file = path.join(archives, name);
    fs.writeFileSync(file, data);
    return file;
  }

  /** Nothing may appear outside dest: the sentinel stays empty and base holds only our dirs. */
  function expectNothingOutside(): void {
    expect(fs.readdirSync(sentinel)).to.deep.equal([]);
    expect(fs.readdirSync(base).sort()).to.deep.equal(['archives', 'dest', 'sentinel']);
  }

  async function expectRefused(entries: Entry[], message: string | RegExp): Promise<void> {
    const file = write('evil.tar', tarball(entries));
    let caught: unknown;
    try {
      await extractRootfs(file, dest);
    } catch (err) {
      caught = err;
    }
    expect(caught, 'extraction should fail').to.be.instanceOf(UsageError);
    const msg = (caught as Error).message;
    if (typeof message === 'string') expect(msg).to.include(message);
    else expect(msg).to.match(message);
    expectNothingOutside();
  }

  const mode = (p: string) => fs.lstatSync(path.join(dest, p)).mode & 0o7777;
  const read = (p: string) => fs.readFileSync(path.join(dest, p), 'utf8');

  describe('ordinary archives', () => {
    const rootfs: Entry[] = [
      { path: './', type: 'Directory', mode: 0o755 },
      { path: './etc/', type: 'Directory', mode: 0o755 },
      { path: './etc/hostname', body: 'box\n', mode: 0o644 },
      { path: './etc/shadow', body: 'root:*:1::::::\n', mode: 0o640, gid: 42 },
      { path: './root/', type: 'Directory', mode: 0o700 },
      { path: './usr/', type: 'Directory' },
      { path: './usr/bin/', type: 'Directory' },
      { path: './usr/bin/true', body: '#!/bin/sh\n', mode: 0o755 },
      { path: './bin', type: 'SymbolicLink', linkpath: 'usr/bin' },
    ];

    it('extracts a plain tar: contents, modes, ./ stripped, counts', async () => {
      const file = write('rootfs.tar', tarball(rootfs));
      const result = await extractRootfs(file, dest);
      expect(result).to.deep.equal({ entries: 9, bytes: 4 + 15 + 10, skippedDevices: 0 });
      expect(fs.readdirSync(dest).sort()).to.deep.equal(['bin', 'etc', 'root', 'usr']);
      expect(read('etc/hostname')).to.equal('box\n');
      expect(read('etc/shadow')).to.equal('root:*:1::::::\n');
      expect(mode('etc/shadow')).to.equal(0o640);
      expect(mode('root')).to.equal(0o700);
      expect(mode('usr/bin/true')).to.equal(0o755);
      expect(fs.readlinkSync(path.join(dest, 'bin'))).to.equal('usr/bin');
      expectNothingOutside();
    });

    it('keeps directory mtimes although later entries changed them', async () => {
      const file = write('rootfs.tar', tarball(rootfs));
      await extractRootfs(file, dest);
      expect(fs.statSync(path.join(dest, 'etc')).mtime.getTime()).to.equal(MTIME.getTime());
      expect(fs.statSync(path.join(dest, 'usr/bin')).mtime.getTime()).to.equal(MTIME.getTime());
      expect(fs.statSync(path.join(dest, 'etc/hostname')).mtime.getTime()).to.equal(MTIME.getTime());
      expect(fs.lstatSync(path.join(dest, 'bin')).mtime.getTime()).to.equal(MTIME.getTime());
    });

    it('reports progress in bytes of the source file', async () => {
      const data = tarball(rootfs);
      const file = write('rootfs.tar', data);
      const seen: number[] = [];
      await extractRootfs(file, dest, { onProgress: (n) => seen.push(n) });
      expect(seen.at(-1)).to.equal(data.length);
    });

    it('extracts gzip', async () => {
      const file = write('rootfs.tar.gz', gzipSync(tarball(rootfs)));
      const result = await extractRootfs(file, dest);
      expect(result.entries).to.equal(9);
      expect(read('etc/hostname')).to.equal('box\n');
    });

    it('extracts xz through the xz program, whatever the file is called', async function () {
      needs(this, haveProgram('xz'), 'xz is not installed (xz-utils)');
      const xz = execFileSync('xz', ['-c'], { input: tarball(rootfs) });
      const file = write('rootfs.bin', xz);
      const result = await extractRootfs(file, dest);
      expect(result.entries).to.equal(9);
      expect(read('usr/bin/true')).to.equal('#!/bin/sh\n');
    });

    it('extracts zstd and bzip2', async function () {
      needs(this, haveProgram('zstd') && haveProgram('bzip2'), 'zstd or bzip2 is not installed');
      const zst = write('rootfs.tar.zst', execFileSync('zstd', ['-c', '-q'], { input: tarball(rootfs) }));
      await extractRootfs(zst, dest);
      expect(read('etc/hostname')).to.equal('box\n');
      const dest2 = path.join(archives, 'two');
      fs.mkdirSync(dest2);
      const bz = write('rootfs.tar.bz2', execFileSync('bzip2', ['-c'], { input: tarball(rootfs) }));
      await extractRootfs(bz, dest2);
      expect(fs.readFileSync(path.join(dest2, 'etc/hostname'), 'utf8')).to.equal('box\n');
    });

    it('reports a corrupt xz stream as a decompression error', async function () {
      needs(this, haveProgram('xz'), 'xz is not installed (xz-utils)');
      const xz = execFileSync('xz', ['-c'], { input: tarball(rootfs) });
      xz[xz.length - 20] = xz[xz.length - 20]! ^ 0xff;
      const file = write('bad.tar.xz', xz);
      let caught: unknown;
      await extractRootfs(file, dest).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RackerError);
      expect((caught as Error).message).to.match(/^cannot decompress .*bad\.tar\.xz: xz exited with status 1/);
    });

    it('fails on a truncated archive', async () => {
      const data = tarball([{ path: 'big', body: Buffer.alloc(4096, 1) }]);
      const file = write('short.tar', data.subarray(0, 1024));
      let caught: unknown;
      await extractRootfs(file, dest).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RackerError);
      expect((caught as Error).message).to.include('cannot extract');
    });

    it('fails on something that is not a tar archive', async () => {
      const file = write('junk', randomBytes(4096));
      let caught: unknown;
      await extractRootfs(file, dest).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RackerError);
    });

    it('refuses a destination that is not empty', async () => {
      fs.writeFileSync(path.join(dest, 'x'), '');
      const file = write('rootfs.tar', tarball(rootfs));
      let caught: unknown;
      await extractRootfs(file, dest).catch((err: unknown) => (caught = err));
      expect((caught as Error).message).to.include('is not empty');
    });

    it('refuses archives larger than maxBytes', async () => {
      const file = write('big.tar', tarball([{ path: 'a', body: 'x'.repeat(600) }, { path: 'b', body: 'y'.repeat(600) }]));
      let caught: unknown;
      await extractRootfs(file, dest, { maxBytes: 1000 }).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(UsageError);
      expect((caught as Error).message).to.include('add up to more than 1000 bytes');
      expect(fs.existsSync(path.join(dest, 'b'))).to.equal(false);
    });
  });

  describe('paths', () => {
    it('makes absolute paths relative to the root (like docker)', async () => {
      const unique = `racker-extract-test-${randomBytes(6).toString('hex')}`;
      const file = write('abs.tar', tarball([{ path: `/tmp/${unique}/x`, body: 'inside' }]));
      await extractRootfs(file, dest);
      expect(read(`tmp/${unique}/x`)).to.equal('inside');
      expect(fs.existsSync(`/tmp/${unique}`)).to.equal(false);
      expectNothingOutside();
    });

    it('cleans a/../b inside the root', async () => {
      const file = write('dots.tar', tarball([{ path: 'a/../b', body: 'b' }]));
      await extractRootfs(file, dest);
      expect(fs.readdirSync(dest)).to.deep.equal(['b']);
    });

    it('refuses ../ entries', () =>
      expectRefused([{ path: '../sentinel/evil', body: 'x' }], 'refusing to import: entry "../sentinel/evil" escapes the root'));

    it('refuses ../ hidden behind a directory', () =>
      expectRefused([{ path: 'a/../../sentinel/evil', body: 'x' }], 'escapes the root'));

    it('refuses ../ in an absolute path', () =>
      expectRefused([{ path: '/../../../etc/racker-evil', body: 'x' }], 'escapes the root'));

    it('refuses a file entry that would replace the root', () =>
      expectRefused([{ path: './', type: 'SymbolicLink', linkpath: '/etc' }], 'would replace the root directory'));
  });

  describe('links', () => {
    it('keeps symlink targets verbatim, absolute ones included (merged /usr)', async () => {
      const file = write(
        'links.tar',
        tarball([
          { path: 'usr/lib/x86_64-linux-gnu/ld.so', body: 'ld' },
          { path: 'lib', type: 'SymbolicLink', linkpath: 'usr/lib' },
          // node-tar's default guards rewrite this to a relative target and refuse it (through `lib`).
          { path: 'lib64/ld-linux-x86-64.so.2', type: 'SymbolicLink', linkpath: '/lib/x86_64-linux-gnu/ld.so' },
          { path: 'usr/bin/java', type: 'SymbolicLink', linkpath: '/etc/alternatives/java' },
          { path: 'usr/bin/up', type: 'SymbolicLink', linkpath: '../../../../../outside' },
        ]),
      );
      const result = await extractRootfs(file, dest);
      expect(result.entries).to.equal(5);
      const link = (p: string) => fs.readlinkSync(path.join(dest, p));
      expect(link('lib')).to.equal('usr/lib');
      expect(link('lib64/ld-linux-x86-64.so.2')).to.equal('/lib/x86_64-linux-gnu/ld.so');
      expect(link('usr/bin/java')).to.equal('/etc/alternatives/java');
      expect(link('usr/bin/up')).to.equal('../../../../../outside');
      expectNothingOutside();
    });

    it('refuses to write through a symlink made by an earlier entry (relative target)', () =>
      expectRefused(
        [
          { path: 'lib', type: 'SymbolicLink', linkpath: '../sentinel' },
          { path: 'lib/evil', body: 'x' },
        ],
        'refusing to import: entry "lib/evil" would be written through the symbolic link "lib"',
      ));

    it('refuses to write through a symlink made by an earlier entry (absolute target)', async () => {
      await expectRefused(
        [
          { path: 'lib', type: 'SymbolicLink', linkpath: sentinel },
          { path: 'lib/sub/evil', type: 'Directory' },
        ],
        'written through the symbolic link "lib"',
      );
    });

    it('refuses to write through a symlink deeper in the path, even via ./ and //', () =>
      expectRefused(
        [
          { path: 'a/b', type: 'SymbolicLink', linkpath: sentinel },
          { path: './a//b/./evil', body: 'x' },
        ],
        'through the symbolic link "a/b"',
      ));

    it('writes into a directory that replaced an earlier symlink', async () => {
      const file = write(
        'replace.tar',
        tarball([
          { path: 'lib', type: 'SymbolicLink', linkpath: sentinel },
          { path: 'lib', type: 'Directory' },
          { path: 'lib/ok', body: 'ok' },
        ]),
      );
      await extractRootfs(file, dest);
      expect(fs.lstatSync(path.join(dest, 'lib')).isDirectory()).to.equal(true);
      expect(read('lib/ok')).to.equal('ok');
      expectNothingOutside();
    });

    it('replaces (does not follow) a symlink that a later file entry overwrites', async () => {
      fs.writeFileSync(path.join(sentinel, 'target'), 'untouched');
      const file = write(
        'overwrite.tar',
        tarball([
          { path: 'f', type: 'SymbolicLink', linkpath: path.join(sentinel, 'target') },
          { path: 'f', body: 'new' },
        ]),
      );
      await extractRootfs(file, dest);
      expect(fs.lstatSync(path.join(dest, 'f')).isFile()).to.equal(true);
      expect(read('f')).to.equal('new');
      expect(fs.readFileSync(path.join(sentinel, 'target'), 'utf8')).to.equal('untouched');
    });

    it('extracts hardlinks to earlier files as the same inode', async () => {
      const file = write(
        'hard.tar',
        tarball([
          { path: 'usr/bin/perl', body: 'perl', mode: 0o755 },
          { path: 'usr/bin/perl5', type: 'Link', linkpath: 'usr/bin/perl' },
          { path: 'abs', type: 'Link', linkpath: '/usr/bin/perl' },
        ]),
      );
      await extractRootfs(file, dest);
      const ino = (p: string) => fs.statSync(path.join(dest, p)).ino;
      expect(ino('usr/bin/perl5')).to.equal(ino('usr/bin/perl'));
      expect(ino('abs')).to.equal(ino('usr/bin/perl'));
    });

    it('links a hardlink to a symlink as the symlink itself, never its target', async () => {
      fs.writeFileSync(path.join(sentinel, 'secret'), 'secret');
      const file = write(
        'hardsym.tar',
        tarball([
          { path: 's', type: 'SymbolicLink', linkpath: path.join(sentinel, 'secret') },
          { path: 'h', type: 'Link', linkpath: 's' },
        ]),
      );
      await extractRootfs(file, dest);
      expect(fs.lstatSync(path.join(dest, 'h')).isSymbolicLink()).to.equal(true);
      expect(fs.statSync(path.join(sentinel, 'secret')).nlink).to.equal(1);
      expect(fs.readdirSync(sentinel)).to.deep.equal(['secret']);
    });

    it('refuses a hardlink that escapes the root', async () => {
      fs.writeFileSync(path.join(sentinel, 'x'), 'secret');
      const file = write('evil.tar', tarball([{ path: 'x', type: 'Link', linkpath: '../sentinel/x' }]));
      let caught: unknown;
      await extractRootfs(file, dest).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(UsageError);
      expect((caught as Error).message).to.include('escapes the root');
      expect(fs.readdirSync(dest)).to.deep.equal([]);
      expect(fs.statSync(path.join(sentinel, 'x')).nlink).to.equal(1);
    });

    it('refuses a hardlink to a host path (absolute target not in the archive)', () =>
      expectRefused(
        [{ path: 'passwd', type: 'Link', linkpath: '/etc/passwd' }],
        'hardlink "passwd" points to "/etc/passwd", which is not an earlier file in the archive',
      ));

    it('refuses a hardlink through a symlink', () =>
      expectRefused(
        [
          { path: 'etc', type: 'SymbolicLink', linkpath: '/etc' },
          { path: 'passwd', type: 'Link', linkpath: 'etc/passwd' },
        ],
        'hardlink "passwd" points through the symbolic link "etc"',
      ));
  });

  describe('special files and metadata', () => {
    it('skips device nodes, counts them, and keeps FIFOs', async () => {
      const file = write(
        'dev.tar',
        tarball([
          { path: 'dev/', type: 'Directory' },
          { path: 'dev/null', type: 'CharacterDevice', devmaj: 1, devmin: 3, mode: 0o666 },
          { path: 'dev/sda', type: 'BlockDevice', devmaj: 8, devmin: 0, mode: 0o660 },
          { path: 'run/initctl', type: 'FIFO', mode: 0o640 },
        ]),
      );
      const result = await extractRootfs(file, dest);
      expect(result).to.deep.equal({ entries: 2, bytes: 0, skippedDevices: 2 });
      expect(fs.readdirSync(path.join(dest, 'dev'))).to.deep.equal([]);
      const fifo = fs.lstatSync(path.join(dest, 'run/initctl'));
      expect(fifo.isFIFO()).to.equal(true);
      expect(fifo.mode & 0o7777).to.equal(0o640);
      expect(fifo.mtime.getTime()).to.equal(MTIME.getTime());
    });

    it('keeps setuid, setgid and sticky bits and odd directory modes', async function () {
      needs(this, isRoot, 'not root');
      const file = write(
        'modes.tar',
        tarball([
          { path: 'usr/bin/su', body: 'su', mode: 0o4755 },
          // chown() by root clears setuid/setgid: these must survive it
          { path: 'usr/bin/mount', body: 'm', mode: 0o4755, uid: 1234 },
          { path: 'usr/bin/chage', body: 'c', mode: 0o2755, gid: 42 },
          { path: 'tmp/', type: 'Directory', mode: 0o1777 },
          { path: 'var/mail/', type: 'Directory', mode: 0o2775, gid: 8 },
          { path: 'proc/', type: 'Directory', mode: 0o555 },
          { path: 'world', body: 'w', mode: 0o666 },
        ]),
      );
      await extractRootfs(file, dest);
      expect(mode('usr/bin/su')).to.equal(0o4755);
      expect(mode('usr/bin/mount')).to.equal(0o4755);
      expect(mode('usr/bin/chage')).to.equal(0o2755);
      expect(mode('tmp')).to.equal(0o1777);
      expect(mode('var/mail')).to.equal(0o2775);
      expect(mode('proc')).to.equal(0o555);
      expect(mode('world')).to.equal(0o666);
      // implicit parents get a fixed mode, whatever the umask
      expect(mode('usr')).to.equal(0o755);
    });

    it('keeps numeric owners of files, directories and symlinks', async function () {
      needs(this, isRoot, 'not root');
      const file = write(
        'owners.tar',
        tarball([
          { path: 'home/u/', type: 'Directory', uid: 1234, gid: 1235 },
          { path: 'home/u/f', body: 'f', uid: 1234, gid: 5678 },
          { path: 'home/u/l', type: 'SymbolicLink', linkpath: 'f', uid: 1234, gid: 1235 },
        ]),
      );
      await extractRootfs(file, dest);
      const owner = (p: string) => {
        const st = fs.lstatSync(path.join(dest, p));
        return [st.uid, st.gid];
      };
      expect(owner('home/u')).to.deep.equal([1234, 1235]);
      expect(owner('home/u/f')).to.deep.equal([1234, 5678]);
      expect(owner('home/u/l')).to.deep.equal([1234, 1235]);
      expect(owner('home')).to.deep.equal([0, 0]);
    });

    it('refuses GNU sparse files instead of writing their raw map', () =>
      expectRefused([{ path: 'disk.img', type: 'SparseFile', body: 'x' }], 'sparse file "disk.img"'));
  });
});

describe('detectCompression', () => {
  it('goes by magic bytes', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).to.equal('gzip');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).to.equal('xz');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).to.equal('zstd');
    expect(detectCompression(Buffer.from('BZh91AY'))).to.equal('bzip2');
    expect(detectCompression(Buffer.from('etc/\0\0\0'))).to.equal('none');
    expect(detectCompression(Buffer.alloc(0))).to.equal('none');
  });
});

describe('spawnStream', () => {
  const collect = async (r: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of r) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it('streams stdin through a program', async () => {
    const p = spawnStream(['tr', 'a-z', 'A-Z'], { stdin: Readable.from([Buffer.from('hello '), Buffer.from('world')]) });
    expect(await collect(p.stdout)).to.equal('HELLO WORLD');
    await p.done;
  });

  it('rejects with CommandError carrying stderr', async () => {
    const p = spawnStream(['sh', '-c', 'echo boom >&2; exit 3']);
    p.stdout.resume();
    const err = await p.done.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(CommandError);
    expect((err as Error).message).to.equal('sh exited with status 3: boom');
  });

  it('rejects with MissingToolError for a program that is not installed', async () => {
    const p = spawnStream(['racker-no-such-program-xyz']);
    p.stdout.resume();
    const err = await p.done.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(MissingToolError);
  });
});

/**
 * Issue 15 (docker cp, diff, export): the pure parts of lib/container/archive/ — cp's
 * arguments and docker's DEST rules, the stat header, changes from an upper directory with
 * whiteouts — and the tar writer and reader on scratch directories, hostile archives included.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Header, Parser, type HeaderData, type ReadEntry } from 'tar';
import { changeLine, changesOf, upperEntries, type UpperEntry } from '../../lib/container/archive/changes.js';
import { containerPath, placement, planCp, splitCpArg } from '../../lib/container/archive/cp-args.js';
import { endOfArchive, packEntry } from '../../lib/container/archive/pack.js';
import { decodeStat, encodeStat, goFileMode, goModeKind, goTime, STAT_HEADER } from '../../lib/container/archive/stat.js';
import { ArchiveError, cleanEntryName, unpackArchive } from '../../lib/container/archive/unpack.js';
import { RackerError } from '../../lib/errors.js';
import { needs } from '../helpers/integration.js';

interface Entry extends HeaderData {
  body?: string;
}

/** A forged tar: headers written by hand so that hostile names survive. */
function tarball(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { body, ...data } of entries) {
    const content = Buffer.from(body ?? '');
    const header = new Header({ mode: data.type === 'Directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date('2020-01-02T03:04:05Z'), type: 'File', ...data, size: content.length });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Names and types of a tar's entries (and a file's text). */
async function listTar(data: Buffer): Promise<string[]> {
  const out: string[] = [];
  const parser = new Parser();
  parser.on('entry', (e: ReadEntry) => {
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => out.push(`${e.type} ${e.path}${e.linkpath ? ` -> ${e.linkpath}` : ''}${e.type === 'File' ? ` ${Buffer.concat(chunks).toString()}` : ''}`));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(data);
  });
  return out;
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const st = fs.lstatSync(path.join(dir, p));
      out.push(`${p}${st.isDirectory() ? '/' : st.isSymbolicLink() ? ` -> ${fs.readlinkSync(path.join(dir, p))}` : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}

describe('docker cp arguments (lib/container/archive/cp-args.ts)', () => {
  it('splits NAME:PATH as the docker CLI does: absolute and ./-prefixed paths are local', () => {
    expect(splitCpArg('web:/etc/hosts')).to.deep.equal({ container: 'web', path: '/etc/hosts' });
    expect(splitCpArg('/a/b:c')).to.deep.equal({ path: '/a/b:c' });
    expect(splitCpArg('./file:name.txt')).to.deep.equal({ path: './file:name.txt' });
    expect(splitCpArg('file.txt')).to.deep.equal({ path: 'file.txt' });
    expect(splitCpArg('-')).to.deep.equal({ path: '-' });
    expect(splitCpArg('web:')).to.deep.equal({ container: 'web', path: '' });
  });

  it('one container end, never two or none; exit 1 as docker', () => {
    expect(planCp('c:/x', '/tmp/y')).to.deep.equal({ direction: 'from', container: 'c', src: '/x', dest: '/tmp/y' });
    expect(planCp('-', 'c:/d')).to.deep.equal({ direction: 'to', container: 'c', src: '-', dest: '/d' });
    const refused = (a: string, b: string) => {
      try {
        planCp(a, b);
      } catch (err) {
        return [(err as RackerError).message, (err as RackerError).exitCode];
      }
      return undefined;
    };
    expect(refused('a:/x', 'b:/y')).to.deep.equal(['copying between containers is not supported', 1]);
    expect(refused('x', 'y')).to.deep.equal(['must specify at least one container source', 1]);
    expect(refused('c:', '/tmp')).to.deep.equal(['source path in the container must not be empty', 1]);
  });

  it('container paths are made absolute, keeping a trailing / or /.', () => {
    expect(['etc', '/etc/', 'etc/.', '/', '.', '../../x'].map(containerPath)).to.deep.equal(['/etc', '/etc/', '/etc/.', '/', '/.', '/x']);
  });

  it("docker's DEST table", () => {
    const file = { path: '/src/f', isDir: false };
    const dir = { path: '/src/d', isDir: true };
    const missing = { path: '/dst/new', exists: false, isDir: false };
    const existingDir = { path: '/dst/dir', exists: true, isDir: true };
    const existingFile = { path: '/dst/file', exists: true, isDir: false };
    expect(placement(file, missing)).to.deep.equal({ into: 'parent', name: 'new' });
    expect(placement(file, existingFile)).to.deep.equal({ into: 'parent', name: 'file' });
    expect(placement(file, existingDir)).to.deep.equal({ into: 'dir', name: 'f' });
    expect(placement(dir, missing)).to.deep.equal({ into: 'parent', name: 'new' });
    expect(placement(dir, existingDir)).to.deep.equal({ into: 'dir', name: 'd' });
    expect(placement({ path: '/src/d/.', isDir: true }, existingDir)).to.deep.equal({ into: 'contents' });
    expect(placement({ path: '/', isDir: true }, existingDir)).to.deep.equal({ into: 'contents' });
    expect(() => placement(file, { path: '/dst/new/', exists: false, isDir: false })).to.throw(RackerError, 'destination directory /dst/new/ must exist');
    expect(() => placement(dir, existingFile)).to.throw(RackerError, 'cannot copy a directory to a file: /dst/file');
    expect(() => placement({ path: '/src/f/', isDir: false }, existingDir)).to.throw(RackerError, '/src/f/: not a directory');
  });
});

describe('the X-Docker-Container-Path-Stat header (lib/container/archive/stat.ts)', () => {
  it("modes are Go's os.FileMode, as the docker CLI decodes them", () => {
    expect(goFileMode(0o040755)).to.equal(2 ** 31 + 0o755);
    expect(goFileMode(0o120777)).to.equal(2 ** 27 + 0o777);
    expect(goFileMode(0o100644)).to.equal(0o644);
    expect(goFileMode(0o104755)).to.equal(2 ** 23 + 0o755); // setuid
    expect(goFileMode(0o041777)).to.equal(2 ** 31 + 2 ** 20 + 0o777); // sticky /tmp
    expect(goFileMode(0o020666)).to.equal(2 ** 26 + 2 ** 21 + 0o666); // char device
    expect([0o040755, 0o120777, 0o100644, 0o010644].map((m) => goModeKind(goFileMode(m)))).to.deep.equal(['dir', 'symlink', 'file', 'other']);
  });

  it("times as Go's RFC 3339 with nanoseconds; base64 JSON both ways", () => {
    expect(goTime(Date.parse('2024-05-06T07:08:09.120Z'))).to.equal('2024-05-06T07:08:09.12Z');
    expect(goTime(Date.parse('2024-05-06T07:08:09Z'))).to.equal('2024-05-06T07:08:09Z');
    const stat = { name: 'hosts', size: 12, mode: 0o644, mtime: '2024-05-06T07:08:09Z', linkTarget: '' };
    expect(STAT_HEADER).to.equal('X-Docker-Container-Path-Stat');
    expect(Buffer.from(encodeStat(stat), 'base64').toString()).to.equal('{"name":"hosts","size":12,"mode":420,"mtime":"2024-05-06T07:08:09Z","linkTarget":""}');
    expect(decodeStat(encodeStat(stat))).to.deep.equal(stat);
    expect(decodeStat('not base64 json')).to.equal(undefined);
  });
});

describe('changes from an upper directory (lib/container/archive/changes.ts)', () => {
  const e = (p: string, o: Partial<UpperEntry> = {}): UpperEntry => ({ path: p, isDir: false, deleted: false, inLower: false, sameDir: false, ...o });

  it("docker's rule: A, C, D, the parent of an A or D changed once, an untouched directory not at all", () => {
    const changes = changesOf([
      e('/etc', { isDir: true, inLower: true }),
      e('/etc/foo'),
      e('/etc/passwd', { inLower: true }),
      e('/usr', { isDir: true, inLower: true, sameDir: true }),
      e('/usr/bin', { isDir: true, inLower: true, sameDir: true }),
      e('/usr/bin/gone', { deleted: true, inLower: true }),
      e('/new', { isDir: true }),
      e('/new/file'),
    ]);
    expect(changes.map(changeLine)).to.deep.equal(['C /etc', 'A /etc/foo', 'C /etc/passwd', 'C /usr/bin', 'D /usr/bin/gone', 'A /new', 'A /new/file']);
    expect(changes[0]).to.deep.equal({ Path: '/etc', Kind: 0 });
  });

  describe('on disk: whiteouts (char 0/0), opaque directories, racker’s own files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'racker-changes-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads the upper directory beside the image and the merged view', function () {
      needs(this, process.getuid?.() === 0, 'not root'); // mknod of a whiteout needs root
      const lower = path.join(dir, 'lower');
      const upper = path.join(dir, 'upper');
      const merged = path.join(dir, 'merged');
      for (const p of ['etc', 'bin', 'home/old', 'opt/a']) fs.mkdirSync(path.join(lower, p), { recursive: true });
      fs.writeFileSync(path.join(lower, 'etc/passwd'), 'root\n');
      fs.writeFileSync(path.join(lower, 'bin/ls'), 'ls');
      fs.writeFileSync(path.join(lower, 'opt/a/x'), 'x');
      for (const p of ['etc', 'bin', 'home', 'opt', 'run']) fs.mkdirSync(path.join(upper, p), { recursive: true });
      fs.writeFileSync(path.join(upper, 'etc/passwd'), 'root\nnew\n');
      fs.writeFileSync(path.join(upper, 'etc/hosts'), '127.0.0.1 racker\n'); // racker's
      fs.writeFileSync(path.join(upper, 'etc/added'), '');
      execFileSync('mknod', [path.join(upper, 'bin/ls'), 'c', '0', '0']); // rm /bin/ls
      execFileSync('mknod', [path.join(upper, 'home/old'), 'c', '0', '0']); // rm -r /home/old
      // /opt replaced (rm -rf /opt/a; ...): the merged view no longer shows a, no whiteout for it.
      fs.writeFileSync(path.join(upper, 'opt/b'), '');
      for (const p of ['etc', 'bin', 'home', 'opt/']) fs.mkdirSync(path.join(merged, p), { recursive: true });
      fs.writeFileSync(path.join(merged, 'opt/b'), '');
      const open = (p: string) => fs.openSync(p, 'r');
      const [u, l, m] = [open(upper), open(lower), open(merged)];
      try {
        expect(changesOf(upperEntries(u, l, m)).map(changeLine)).to.deep.equal([
          'C /bin',
          'D /bin/ls',
          'C /etc',
          'A /etc/added',
          'C /etc/passwd',
          'C /home',
          'D /home/old',
          'D /opt',
          'A /opt/b',
          // /run: an empty mount point nspawn made in an image without one, not shown.
        ]);
      } finally {
        [u, l, m].forEach((fd) => fs.closeSync(fd));
      }
    });
  });
});

describe('tar in and out of a root, by descriptor (pack.ts, unpack.ts)', () => {
  let dir: string;
  let dest: string;
  let destFd: number;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'racker-archive-'));
    dest = path.join(dir, 'dest');
    fs.mkdirSync(dest);
    destFd = fs.openSync(dest, 'r');
  });
  afterEach(async () => {
    fs.closeSync(destFd);
    await rm(dir, { recursive: true, force: true });
  });
  const put = async (entries: Entry[], opts = {}) => {
    const file = path.join(dir, `in-${Math.random()}.tar`);
    fs.writeFileSync(file, tarball(entries));
    return unpackArchive(file, destFd, opts);
  };
  const refusal = async (entries: Entry[]) => {
    try {
      await put(entries);
    } catch (err) {
      expect(err).to.be.instanceOf(ArchiveError);
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('names are cleaned as docker does; one that climbs out is refused', () => {
    expect(['/etc/x', 'a/./b/', './', 'a/../b'].map(cleanEntryName)).to.deep.equal(['etc/x', 'a/b', '.', 'b']);
    expect(() => cleanEntryName('../x')).to.throw(ArchiveError, 'leads out of the destination');
    expect(() => cleanEntryName('a/../../x')).to.throw(ArchiveError);
  });

  it('extracts directories, files with their modes (setuid kept), links and hard links; owners as asked', async () => {
    const r = await put(
      [
        { path: 'd/', type: 'Directory', mode: 0o750, uid: 7, gid: 8 },
        { path: 'd/f', body: 'hello', mode: 0o4755, uid: 7, gid: 8 },
        { path: 'd/l', type: 'SymbolicLink', linkpath: '/etc/passwd' },
        { path: 'd/h', type: 'Link', linkpath: 'd/f' },
        { path: 'dev/null', type: 'CharacterDevice', devmaj: 1, devmin: 3 },
      ],
      { owner: { uid: 0, gid: 0 } },
    );
    expect(r).to.deep.equal({ entries: 4, skipped: 1 });
    expect(tree(dest)).to.deep.equal(['d/', 'd/f', 'd/h', 'd/l -> /etc/passwd']);
    const f = fs.statSync(path.join(dest, 'd/f'));
    expect([f.mode & 0o7777, f.uid, f.nlink, fs.readFileSync(path.join(dest, 'd/h'), 'utf8')]).to.deep.equal([0o4755, 0, 2, 'hello']);
    expect(fs.statSync(path.join(dest, 'd')).mode & 0o7777).to.equal(0o750);
    await put([{ path: 'd/f', body: 'again', uid: 7, gid: 8 }]);
    const again = fs.statSync(path.join(dest, 'd/f'));
    expect([fs.readFileSync(path.join(dest, 'd/f'), 'utf8'), again.uid, again.gid]).to.deep.equal(['again', 7, 8]);
  });

  it('hostile archives are refused before anything is written', async () => {
    expect(await refusal([{ path: 'ok' }, { path: '../escaped', body: 'x' }])).to.equal('invalid archive entry "../escaped": it leads out of the destination');
    expect(await refusal([{ path: 'ok' }, { path: 'lnk', type: 'SymbolicLink', linkpath: dir }, { path: 'lnk/escaped', body: 'x' }])).to.equal(
      'invalid archive entry "lnk/escaped": it would be written through the symbolic link "lnk"',
    );
    expect(await refusal([{ path: 'ok' }, { path: 'h', type: 'Link', linkpath: '/etc/shadow' }])).to.equal(
      'invalid archive entry "h": hard link to "/etc/shadow", which is not an earlier file of the archive',
    );
    expect(await refusal([{ path: 'ok' }, { path: 'h', type: 'Link', linkpath: '../x' }])).to.equal('invalid archive entry "../x": it leads out of the destination');
    expect(await refusal([{ path: 'GNUSparseFile.0/x', body: 'x' }])).to.match(/sparse files are not supported/);
    expect(tree(dest)).to.deep.equal([]);
    expect(fs.existsSync(path.join(dir, 'escaped'))).to.equal(false);
  });

  it('nothing below the destination is followed: a link already there stops the entry; a link or file at the name is replaced', async () => {
    fs.mkdirSync(path.join(dir, 'outside'));
    fs.symlinkSync(path.join(dir, 'outside'), path.join(dest, 'lnk'));
    expect(await refusal([{ path: 'lnk/x', body: 'x' }])).to.equal('cannot extract "lnk/x": "lnk" in the destination is a symbolic link');
    fs.symlinkSync(path.join(dir, 'outside', 'victim'), path.join(dest, 'name'));
    await put([{ path: 'name', body: 'mine' }]);
    expect([fs.readdirSync(path.join(dir, 'outside')), fs.lstatSync(path.join(dest, 'name')).isFile()]).to.deep.equal([[], true]);
    fs.mkdirSync(path.join(dest, 'adir'));
    expect(await refusal([{ path: 'adir', body: 'x' }])).to.equal('cannot overwrite directory "adir" with non-directory "adir"');
    expect(await refusal([{ path: 'name/', type: 'Directory' }])).to.equal('cannot overwrite non-directory "name" with directory "name/"');
  });

  it('packs a tree by descriptor: links kept as links, hard links once, contents exact', async () => {
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'sub/a'), 'aaa');
    fs.linkSync(path.join(src, 'sub/a'), path.join(src, 'sub/b'));
    fs.symlinkSync('/etc', path.join(src, 'etc-link'));
    const parent = fs.openSync(dir, 'r');
    const fd = fs.openSync(src, 'r');
    try {
      const tar = Buffer.concat([...packEntry(parent, 'src', fd, fs.fstatSync(fd), 'copy'), endOfArchive()]);
      expect(await listTar(tar)).to.deep.equal(['Directory copy/', 'SymbolicLink copy/etc-link -> /etc', 'Directory copy/sub/', 'File copy/sub/a aaa', 'Link copy/sub/b -> copy/sub/a']);
    } finally {
      fs.closeSync(fd);
      fs.closeSync(parent);
    }
  });
});

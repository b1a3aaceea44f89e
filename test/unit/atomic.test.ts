import { expect } from 'chai';
import { mkdtempSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deadTemporaries, readJson, writeFileAtomic, writeJsonAtomic } from '../../lib/state/atomic.js';

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-atomic-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temp file', async () => {
    const file = path.join(dir, 'sub', 'x.json');
    await writeJsonAtomic(file, { a: 1 });
    await writeJsonAtomic(file, { a: 2 });
    expect(await readJson(file, {})).to.deep.equal({ a: 2 });
    expect(readdirSync(path.dirname(file))).to.deep.equal(['x.json']);
  });

  it('applies the requested mode', async () => {
    const file = path.join(dir, 'secret');
    await writeFileAtomic(file, 'x', 0o600);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('reads a missing file as the fallback, but not a broken one', async () => {
    expect(await readJson(path.join(dir, 'none.json'), { tags: {} })).to.deep.equal({ tags: {} });
    await fs.writeFile(path.join(dir, 'bad.json'), '{');
    let threw = false;
    try {
      await readJson(path.join(dir, 'bad.json'), {});
    } catch {
      threw = true;
    }
    expect(threw).to.equal(true);
  });

  // The cases below were added for the mutation score (doc/reliability.md, "Mutation score").

  it('creates files 0644 (less the umask) unless told', async () => {
    const file = path.join(dir, 'plain');
    await writeFileAtomic(file, 'x');
    const umask = process.umask();
    expect(statSync(file).mode & 0o777).to.equal(0o644 & ~umask);
  });

  it('fails when the rename fails, and leaves no temporary behind', async () => {
    // A non-empty directory where the file should go: rename(2) refuses to replace it.
    const target = path.join(dir, 'target');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'inside'), '');
    let caught: unknown;
    await writeFileAtomic(target, 'x').catch((err: unknown) => (caught = err));
    expect((caught as NodeJS.ErrnoException).code).to.be.oneOf(['EISDIR', 'ENOTEMPTY']);
    expect(readdirSync(dir)).to.deep.equal(['target']);
  });

  it('fails on a file it cannot read, other than a missing one', async () => {
    let caught: unknown;
    await readJson(dir, {}).catch((err: unknown) => (caught = err));
    expect((caught as NodeJS.ErrnoException).code).to.equal('EISDIR');
  });

  it('fsyncs the file and its directory and closes both; durable: false syncs neither', async () => {
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const { sync } = proto;
    let syncs = 0;
    proto.sync = function (this: unknown) {
      syncs++;
      return sync.call(this);
    };
    const fds = () => readdirSync('/proc/self/fd').length;
    try {
      const open = fds();
      await writeFileAtomic(path.join(dir, 'a'), 'x');
      expect(syncs).to.equal(2);
      await writeFileAtomic(path.join(dir, 'b'), 'x', { mode: 0o600 });
      expect(syncs).to.equal(4);
      await writeFileAtomic(path.join(dir, 'c'), 'x', { durable: false });
      expect(syncs).to.equal(4);
      expect(fds()).to.equal(open);
    } finally {
      proto.sync = sync;
    }
  });

  it('is killed between the write and the rename at RACKER_CRASH_AT=write:NAME: the old file stays, the temporary is found dead', async () => {
    const file = path.join(dir, 'state.json');
    await writeJsonAtomic(file, { v: 'old' });
    // crashPoint SIGKILLs this process; here the kill only says which signal went where.
    const kill = process.kill;
    const saved = process.env.RACKER_CRASH_AT;
    const killed: unknown[] = [];
    process.kill = ((pid: number, signal: string) => {
      killed.push([pid, signal]);
      throw new Error('killed');
    }) as typeof process.kill;
    process.env.RACKER_CRASH_AT = 'pull:unpacked,write:state.json';
    try {
      await writeJsonAtomic(path.join(dir, 'other.json'), { v: 1 });
      let caught: unknown;
      await writeJsonAtomic(file, { v: 'new' }).catch((err: unknown) => (caught = err));
      expect((caught as Error | undefined)?.message).to.equal('killed');
    } finally {
      process.kill = kill;
      if (saved === undefined) delete process.env.RACKER_CRASH_AT;
      else process.env.RACKER_CRASH_AT = saved;
    }
    expect(killed).to.deep.equal([[process.pid, 'SIGKILL']]);
    expect(await readJson(file, {})).to.deep.equal({ v: 'old' });
    const left = readdirSync(dir).filter((n) => n !== 'state.json' && n !== 'other.json');
    expect(left).to.have.length(1);
    expect(left[0]).to.match(new RegExp(`^\\.state\\.json\\.tmp-${process.pid}-[0-9a-f]{8}$`));
    expect(await deadTemporaries(dir, () => false)).to.deep.equal([path.join(dir, left[0]!)]);
    expect(await deadTemporaries(dir, (pid) => pid === process.pid)).to.deep.equal([]);
  });

  describe('deadTemporaries', () => {
    const tmp = (name: string, pid: number, hex = 'deadbeef') => `.${name}.tmp-${pid}-${hex}`;

    it('finds temporaries of dead writers in the state tree, three levels down, not in contents', async () => {
      const files = {
        dead: path.join(dir, tmp('images.json', 123)),
        alive: path.join(dir, tmp('containers.json', 4567, '0123abcd')),
        level1: path.join(dir, 'c1', tmp('record.json', 123)),
        level3: path.join(dir, 'a', 'b', 'c', tmp('x', 123)),
        level4: path.join(dir, 'a', 'b', 'c', 'd', tmp('y', 123)),
        noDot: path.join(dir, 'images.json.tmp-123-deadbeef'),
        inside: path.join(dir, `x${tmp('images.json', 123)}`),
        trailing: path.join(dir, `${tmp('images.json', 123)}.bak`),
        shortHex: path.join(dir, tmp('images.json', 123, 'deadbee')),
        notHex: path.join(dir, tmp('images.json', 123, 'deadbeeg')),
        noPid: path.join(dir, '.images.json.tmp--deadbeef'),
      };
      const contents = ['rootfs', 'upper', 'work', 'blobs', '_data', 'tmp'].map((d) => path.join(dir, 'c2', d, tmp('f', 123)));
      for (const f of [...Object.values(files), ...contents]) {
        await fs.mkdir(path.dirname(f), { recursive: true });
        await fs.writeFile(f, '');
      }
      // A directory named like a temporary is not one.
      await fs.mkdir(path.join(dir, tmp('d', 123)));
      const asked: number[] = [];
      const found = await deadTemporaries(dir, (pid) => {
        asked.push(pid);
        return pid === 4567;
      });
      expect(found.sort()).to.deep.equal([files.level3, files.level1, files.dead].sort());
      expect(asked.sort()).to.deep.equal([123, 123, 123, 4567]);
    });

    it('finds nothing in a directory that does not exist', async () => {
      expect(await deadTemporaries(path.join(dir, 'none'), () => false)).to.deep.equal([]);
    });
  });
});

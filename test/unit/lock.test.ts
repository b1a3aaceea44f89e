import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RackerError } from '../../lib/errors.js';
import { acquireLock, breakIfStale, isOwnerAlive, withLock } from '../../lib/state/lock.js';

describe('lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-lock-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('writes "PID STARTTIME" and removes the file on release', async () => {
    const file = path.join(dir, 'a.lock');
    const lock = await acquireLock(file);
    const [pid] = readFileSync(file, 'utf8').trim().split(' ');
    expect(Number(pid)).to.equal(process.pid);
    await lock.release();
    expect(existsSync(file)).to.equal(false);
  });

  it('serialises two holders in one process', async () => {
    const file = path.join(dir, 'b.lock');
    const order: string[] = [];
    let waited = 0;
    const first = withLock(file, async () => {
      order.push('first-start');
      await new Promise((r) => setTimeout(r, 100));
      order.push('first-end');
    });
    await new Promise((r) => setTimeout(r, 10));
    const second = withLock(file, async () => void order.push('second'), { onWait: () => waited++ });
    await Promise.all([first, second]);
    expect(order).to.deep.equal(['first-start', 'first-end', 'second']);
    expect(waited).to.equal(1);
  });

  it('takes over a lock whose owner was killed', async () => {
    const file = path.join(dir, 'c.lock');
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    await fs.writeFile(file, `${child.pid} ${start}\n`);
    expect(isOwnerAlive(readFileSync(file, 'utf8'))).to.equal(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(isOwnerAlive(readFileSync(file, 'utf8'))).to.equal(false);
    const lock = await acquireLock(file, { timeoutMs: 1000 });
    expect(readFileSync(file, 'utf8').split(' ')[0]).to.equal(String(process.pid));
    await lock.release();
  });

  it('treats a reused PID with another start time as stale', () => {
    expect(isOwnerAlive(`${process.pid} 1\n`)).to.equal(false);
    expect(isOwnerAlive('garbage')).to.equal(false);
    expect(isOwnerAlive('')).to.equal(false);
  });

  it('times out with a clear error while a live process holds it', async () => {
    const file = path.join(dir, 'd.lock');
    const held = await acquireLock(file);
    try {
      await acquireLock(file, { timeoutMs: 100 });
      expect.fail('should time out');
    } catch (err) {
      expect((err as Error).message).to.equal('timed out waiting for lock d.lock');
      expect((err as RackerError).hint).to.equal(`another racker process holds ${file}`);
      // The identity is linked in from a private file, which goes whether the link worked or not.
      expect(readdirSync(dir)).to.deep.equal(['d.lock']);
    } finally {
      await held.release();
    }
  });

  // The cases below were added for the mutation score (doc/reliability.md, "Mutation score").

  it('is not alive without a start time, or with a PID that does not run', () => {
    expect(isOwnerAlive('2147483646')).to.equal(false);
    expect(isOwnerAlive('2147483646 12345')).to.equal(false);
    expect(isOwnerAlive(String(process.pid))).to.equal(false);
  });

  it('leaves only the lock file beside it, and removes it on release', async () => {
    const file = path.join(dir, 'e.lock');
    const lock = await acquireLock(file);
    expect(readdirSync(dir)).to.deep.equal(['e.lock']);
    await lock.release();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('releases once: a second release does not remove the next holder\'s lock', async () => {
    const file = path.join(dir, 'f.lock');
    const first = await acquireLock(file);
    await first.release();
    const second = await acquireLock(file, { timeoutMs: 1000 });
    await first.release();
    expect(existsSync(file)).to.equal(true);
    await second.release();
    expect(existsSync(file)).to.equal(false);
  });

  it('releases quietly a lock file that is gone already (system prune removed it)', async () => {
    const file = path.join(dir, 'g.lock');
    const lock = await acquireLock(file);
    await fs.rm(file);
    await lock.release();
    expect(existsSync(file)).to.equal(false);
  });

  it('waits within its timeout for a holder that lets go', async () => {
    const file = path.join(dir, 'h.lock');
    const held = await acquireLock(file);
    setTimeout(() => void held.release(), 50);
    const lock = await acquireLock(file, { timeoutMs: 5000 });
    expect(readFileSync(file, 'utf8').split(' ')[0]).to.equal(String(process.pid));
    await lock.release();
  });

  it('polls with a backoff capped at 200 ms: a few attempts, and the lock soon after its release', async () => {
    const file = path.join(dir, 'i.lock');
    const held = await acquireLock(file);
    const link = fs.link;
    let attempts = 0;
    fs.link = (async (...args: Parameters<typeof fs.link>) => {
      attempts++;
      return link(...args);
    }) as typeof fs.link;
    try {
      const started = Date.now();
      setTimeout(() => void held.release(), 1800);
      const lock = await acquireLock(file);
      const took = Date.now() - started;
      await lock.release();
      // Polls at 20, 60, 140, 300, 500, 700 ms and every 200 ms after: the lock at most 200 ms
      // (and some load) after its release. A backoff without its cap would poll at 1420 ms, then 3020 ms.
      expect(took).to.be.within(1800, 2300);
      expect(attempts).to.be.within(8, 18);
    } finally {
      fs.link = link;
    }
  });

  describe('breakIfStale', () => {
    const DEAD = '2147483646 1\n';

    it('says "retry" for a lock that is gone, and fails on one it cannot read', async () => {
      expect(await breakIfStale(path.join(dir, 'none.lock'))).to.equal(true);
      await fs.mkdir(path.join(dir, 'dir.lock'));
      let caught: unknown;
      await breakIfStale(path.join(dir, 'dir.lock')).catch((err: unknown) => (caught = err));
      expect((caught as NodeJS.ErrnoException).code).to.equal('EISDIR');
    });

    it('leaves a live lock, removes a stale one and nothing else', async () => {
      const file = path.join(dir, 'j.lock');
      const lock = await acquireLock(file);
      expect(await breakIfStale(file)).to.equal(false);
      expect(existsSync(file)).to.equal(true);
      await lock.release();
      await fs.writeFile(file, DEAD);
      expect(await breakIfStale(file)).to.equal(true);
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    /** Replaces the lock file with `content` just before breakIfStale moves it aside, as another process could. */
    async function raced(file: string, content: string): Promise<boolean> {
      const rename = fs.rename;
      fs.rename = (async (from: string, to: string) => {
        fs.rename = rename;
        await fs.rm(file);
        await fs.writeFile(file, content);
        return rename(from, to);
      }) as typeof fs.rename;
      try {
        return await breakIfStale(file);
      } finally {
        fs.rename = rename;
      }
    }

    it('says "retry" when another process broke the stale lock first, and fails when it cannot move it aside', async () => {
      const file = path.join(dir, 'm.lock');
      await fs.writeFile(file, DEAD);
      const rename = fs.rename;
      fs.rename = (async (from: string, to: string) => {
        fs.rename = rename;
        await fs.rm(file);
        return rename(from, to);
      }) as typeof fs.rename;
      try {
        expect(await breakIfStale(file)).to.equal(true);
      } finally {
        fs.rename = rename;
      }
      expect(readdirSync(dir)).to.deep.equal([]);
      await fs.writeFile(file, DEAD);
      fs.rename = (async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      }) as typeof fs.rename;
      let caught: unknown;
      try {
        await breakIfStale(file).catch((err: unknown) => (caught = err));
      } finally {
        fs.rename = rename;
      }
      expect((caught as NodeJS.ErrnoException | undefined)?.code).to.equal('EACCES');
      expect(readFileSync(file, 'utf8')).to.equal(DEAD);
    });

    it('puts back a live lock that replaced the stale one while it was being broken', async () => {
      const file = path.join(dir, 'k.lock');
      await fs.writeFile(file, DEAD);
      const live = `${process.pid} ${readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]}\n`;
      expect(isOwnerAlive(live)).to.equal(true);
      expect(await raced(file, live)).to.equal(true);
      expect(readFileSync(file, 'utf8')).to.equal(live);
      expect(readdirSync(dir)).to.deep.equal(['k.lock']);
    });

    it('does not put back another stale lock that replaced it', async () => {
      const file = path.join(dir, 'l.lock');
      await fs.writeFile(file, DEAD);
      expect(await raced(file, '2147483645 1\n')).to.equal(true);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });
});

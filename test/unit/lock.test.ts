import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLock, isOwnerAlive, withLock } from '../../lib/state/lock.js';

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
    } finally {
      await held.release();
    }
  });
});

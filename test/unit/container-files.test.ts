import { expect } from 'chai';
import { mkdirSync, mkdtempSync, promises as fs, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkCommand, resolveInRoot } from '../../lib/container/lookup.js';
import { createLogWriter, readLog } from '../../lib/container/logs.js';
import { statusText } from '../../lib/container/view.js';
import type { ContainerRecord } from '../../lib/container/record.js';

async function rejection(p: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await p;
  } catch (err) {
    return err as { message: string; exitCode: number };
  }
  throw new Error('expected a rejection');
}

describe('command lookup inside a container root', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'racker-root-'));
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    mkdirSync(path.join(root, 'etc'));
    symlinkSync('usr/bin', path.join(root, 'bin'));
    writeFileSync(path.join(root, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(root, 'usr/bin/plain'), 'data', { mode: 0o644 });
    // An absolute link: inside the container it means the container's /usr/bin/tool.
    symlinkSync('/usr/bin/tool', path.join(root, 'usr/bin/alias'));
    // A link that would reach the host's /etc/passwd if followed on the host.
    symlinkSync('/etc/passwd', path.join(root, 'usr/bin/hostpasswd'));
  });
  after(async () => fs.rm(root, { recursive: true, force: true }));

  it('follows absolute links inside the root, never on the host', async () => {
    expect(await resolveInRoot(root, '/bin/alias')).to.equal(path.join(root, 'usr/bin/tool'));
    expect(await resolveInRoot(root, '/usr/bin/hostpasswd')).to.equal(undefined);
    expect(await resolveInRoot(root, '/../../bin/tool')).to.equal(path.join(root, 'usr/bin/tool'));
  });

  it('finds commands on PATH and by path', async () => {
    await checkCommand(root, 'tool', ['PATH=/bin']);
    await checkCommand(root, 'alias', ['PATH=/usr/bin']);
    await checkCommand(root, '/bin/tool', []);
    await checkCommand(root, './tool', [], '/usr/bin');
  });

  it('127 not found, 126 not executable, with docker messages', async () => {
    expect(await rejection(checkCommand(root, 'nope', ['PATH=/bin']))).to.include({
      message: 'exec: "nope": executable file not found in $PATH',
      exitCode: 127,
    });
    expect(await rejection(checkCommand(root, '/nope', []))).to.include({ message: 'exec: "/nope": stat /nope: no such file or directory', exitCode: 127 });
    expect(await rejection(checkCommand(root, '/etc', []))).to.include({ message: 'exec: "/etc": permission denied', exitCode: 126 });
    expect(await rejection(checkCommand(root, 'plain', ['PATH=/bin']))).to.include({ message: 'exec: "plain": permission denied', exitCode: 126 });
  });
});

describe('container logs (json-file)', () => {
  it('keeps streams apart, splits lines, flushes a partial last line, reads incrementally', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-log-'));
    const file = path.join(dir, 'c-json.log');
    const w = createLogWriter(file, () => new Date('2026-01-02T03:04:05.000Z'));
    w.write('stdout', Buffer.from('one\ntw'));
    w.write('stderr', Buffer.from('err\n'));
    w.write('stdout', Buffer.from('o\nthree'));
    await w.close();
    const { entries, end } = await readLog(file);
    expect(entries).to.deep.equal([
      { log: 'one\n', stream: 'stdout', time: '2026-01-02T03:04:05.000Z' },
      { log: 'err\n', stream: 'stderr', time: '2026-01-02T03:04:05.000Z' },
      { log: 'two\n', stream: 'stdout', time: '2026-01-02T03:04:05.000Z' },
      { log: 'three', stream: 'stdout', time: '2026-01-02T03:04:05.000Z' },
    ]);
    expect(await readLog(file, end)).to.deep.equal({ entries: [], end });
    expect(await readLog(path.join(dir, 'missing'))).to.deep.equal({ entries: [], end: 0 });
    await fs.rm(dir, { recursive: true });
  });
});

describe('ps STATUS column', () => {
  const record = (state: ContainerRecord['state']): ContainerRecord =>
    ({ id: 'a'.repeat(64), name: 'x', created: '2026-01-01T00:00:00Z', image: { id: 'sha256:1', name: 'i' }, config: { command: [] }, state }) as unknown as ContainerRecord;
  // Times relative to the real clock: a running record from before this host booted is
  // exited (liveState), so fixed dates in the past would read differently.
  const now = Date.now();
  const at = (secondsBeforeNow: number) => new Date(now - secondsBeforeNow * 1000).toISOString();

  it('Created, Up, Exited (code) … ago', () => {
    expect(statusText(record({ status: 'created' }), now)).to.equal('Created');
    expect(statusText(record({ status: 'running', startedAt: at(3), supervisorPid: process.pid }), now)).to.equal('Up 3 seconds');
    expect(statusText(record({ status: 'exited', exitCode: 3, finishedAt: at(120) }), now)).to.equal('Exited (3) 2 minutes ago');
  });

  it('a "running" record whose processes are gone reads as exited', () => {
    expect(statusText(record({ status: 'running', startedAt: at(600), nspawnPid: 999999999 }), now)).to.equal('Exited (255) 10 minutes ago');
  });
});

import { expect } from 'chai';
import { mkdirSync, mkdtempSync, promises as fs, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkCommand } from '../../lib/container/lookup.js';
import { ContainerRoot } from '../../lib/fs/in-root.js';
import { createLogWriter, readLog } from '../../lib/container/logs.js';
import { statusText } from '../../lib/container/view.js';
import type { ContainerRecord } from '../../lib/container/record.js';

function rejection(fn: () => unknown): { message: string; exitCode: number } {
  try {
    fn();
  } catch (err) {
    return err as { message: string; exitCode: number };
  }
  throw new Error('expected a throw');
}

describe('command lookup inside a container root', () => {
  let dir: string;
  let root: ContainerRoot;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-root-'));
    mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
    mkdirSync(path.join(dir, 'etc'));
    symlinkSync('usr/bin', path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'usr/bin/plain'), 'data', { mode: 0o644 });
    // An absolute link: inside the container it means the container's /usr/bin/tool.
    symlinkSync('/usr/bin/tool', path.join(dir, 'usr/bin/alias'));
    // Links that reach host executables if followed on the host.
    symlinkSync('/usr/bin/env', path.join(dir, 'usr/bin/hostenv'));
    symlinkSync('../../../../../../../../usr/bin/env', path.join(dir, 'usr/bin/relenv'));
    symlinkSync('loop', path.join(dir, 'usr/bin/loop'));
    root = ContainerRoot.open(dir);
  });
  after(async () => {
    root.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds commands on PATH and by path, links followed inside the root', () => {
    checkCommand(root, 'tool', ['PATH=/bin']);
    checkCommand(root, 'alias', ['PATH=/usr/bin']);
    checkCommand(root, '/bin/tool', []);
    checkCommand(root, './tool', [], '/usr/bin');
    checkCommand(root, '../../../bin/tool', [], '/usr/bin');
  });

  it("a link to a host executable is not found (the host's /usr/bin/env exists; the root's does not)", () => {
    expect(rejection(() => checkCommand(root, 'hostenv', ['PATH=/usr/bin']))).to.include({ exitCode: 127 });
    expect(rejection(() => checkCommand(root, '/usr/bin/relenv', []))).to.include({ exitCode: 127 });
    expect(rejection(() => checkCommand(root, '/usr/bin/loop', []))).to.include({ exitCode: 127 });
  });

  it('127 not found, 126 not executable, with docker messages', () => {
    expect(rejection(() => checkCommand(root, 'nope', ['PATH=/bin']))).to.include({
      message: 'exec: "nope": executable file not found in $PATH',
      exitCode: 127,
    });
    expect(rejection(() => checkCommand(root, '/nope', []))).to.include({ message: 'exec: "/nope": stat /nope: no such file or directory', exitCode: 127 });
    expect(rejection(() => checkCommand(root, '/etc', []))).to.include({ message: 'exec: "/etc": permission denied', exitCode: 126 });
    expect(rejection(() => checkCommand(root, 'plain', ['PATH=/bin']))).to.include({ message: 'exec: "plain": permission denied', exitCode: 126 });
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

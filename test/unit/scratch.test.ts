import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanScratch, deadScratch } from '../../lib/image/scratch.js';
import { pathsUnder } from '../../lib/state/paths.js';

describe('scratch directories of killed pulls and imports', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('those whose owner is gone are dead; a live owner\'s, our own and foreign names are kept', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-scratch-'));
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    // A PID that surely ended: a child that has exited and been collected.
    const gone = spawnSync('true').pid!;
    const names = [`pull-${gone}-ab12`, `import-${process.ppid}-cd34`, `pull-${process.pid}-ef56`, 'unrelated'];
    for (const n of names) mkdirSync(path.join(paths.tmp, n), { recursive: true });
    expect(await deadScratch(paths)).to.deep.equal([path.join(paths.tmp, `pull-${gone}-ab12`)]);
    expect(await cleanScratch(paths)).to.equal(1);
    expect((await deadScratch(paths)).length).to.equal(0);
  });

  it('an owner that is a zombie (exited, not yet collected) is gone too', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-scratch-'));
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    // sh starts `true` in the background and becomes `sleep`, which never collects it.
    const parent = spawn('sh', ['-c', 'true & exec sleep 30'], { stdio: 'ignore' });
    try {
      let zombie: number | undefined;
      for (let i = 0; i < 100 && zombie === undefined; i++) {
        await sleep(20);
        const child = Number(readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
        if (child && readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z ')) zombie = child;
      }
      expect(zombie, 'a zombie child').to.be.a('number');
      mkdirSync(path.join(paths.tmp, `pull-${zombie}-ab12`), { recursive: true });
      expect(await deadScratch(paths)).to.deep.equal([path.join(paths.tmp, `pull-${zombie}-ab12`)]);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

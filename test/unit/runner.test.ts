import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../lib/exec/procfs.js';
import { createRunner } from '../../lib/exec/run.js';
import { silentLogger } from '../../lib/log.js';

describe('run: a command past its timeout', () => {
  const run = createRunner(silentLogger);

  it('is stopped with the children it started (nsenter passes no signal on), and the run returns', async () => {
    // sh prints its child's PID, then waits for it: like nsenter waiting for the command
    // it started inside a container.
    const started = Date.now();
    const r = await run(['sh', '-c', 'sleep 30 & echo $!; wait'], { reject: false, timeoutMs: 300 });
    expect(r.signal).to.equal('SIGTERM');
    expect(Date.now() - started).to.be.below(10_000);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).to.be.above(0);
    for (let i = 0; i < 50 && processAlive(grandchild); i++) await sleep(20);
    expect(processAlive(grandchild), `sleep ${grandchild} still runs`).to.equal(false);
  });
});

/** Finding a container's PID 1 and waiting until its systemd says the system is up. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { TestbedError } from '../errors.js';
import { isSystemRunningArgv } from '../tools/nspawn.js';
import { childrenOf, commOf } from './procfs.js';


/**
 * nspawn's child becomes the container's PID 1 once it has exec'd the payload (systemd,
 * or the command in direct mode); until then it is still named systemd-nspawn.
 */
export async function waitForLeader(nspawnPid: number, deadline: number, alive: () => boolean): Promise<number> {
  let delay = 2;
  for (;;) {
    const child = childrenOf(nspawnPid)[0];
    if (child !== undefined) {
      const name = commOf(child);
      if (name !== undefined && name !== 'systemd-nspawn') return child;
    }
    if (!alive()) throw new TestbedError('the container exited while starting');
    if (Date.now() > deadline) throw new TestbedError('the container did not start in time');
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}

/**
 * Poll `systemctl is-system-running` inside until "running" or "degraded" (a failed
 * unit does not make the machine unusable). Polls fast: boot takes a few hundred ms.
 */
export async function waitUntilBooted(ctx: Context, leader: number, deadline: number, alive: () => boolean, timeoutSeconds: number): Promise<string> {
  let last = 'unknown';
  let delay = 10;
  for (;;) {
    const r = await ctx.run(isSystemRunningArgv(leader), { reject: false, cleanEnv: true, env: { PATH: process.env.PATH } });
    last = r.stdout.trim() || last;
    if (last === 'running' || last === 'degraded') return last;
    if (!alive()) throw new TestbedError('the container exited while booting');
    if (Date.now() > deadline) {
      throw new TestbedError(`the container did not finish booting within ${timeoutSeconds} s (systemd says: ${last})`, {
        hint: 'see racker logs, or raise --boot-timeout',
      });
    }
    await sleep(delay);
    delay = Math.min(delay + 10, 40);
  }
}

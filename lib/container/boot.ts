/** Finding a container's PID 1 and waiting until its systemd says the system is up. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { TestbedError } from '../errors.js';
import { ContainerRoot, processRoot } from '../fs/in-root.js';
import { isSystemRunningArgv } from '../tools/nspawn.js';
import { childrenOf, commOf } from '../exec/procfs.js';

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

const isUp = (state: string) => state === 'running' || state === 'degraded';

/**
 * Wait until the container's systemd says "running" or "degraded" (a failed unit does not
 * make the machine unusable).
 *
 * `systemctl is-system-running --wait` (systemd ≥ 240) waits inside for the StartupFinished
 * signal: one idle subprocess for the whole boot, woken the moment it ends, instead of a
 * poll loop whose every turn is two exec'd programs competing with the boot for the CPU.
 * It needs systemd's private socket, so it starts once that exists; older systemd (no
 * --wait) and every failed wait fall back to polling.
 */
/** systemd's private socket, looked up inside the container (a link there leads nowhere on the host). */
function hasPrivateSocket(leader: number): boolean {
  try {
    return ContainerRoot.with(processRoot(leader), (root) => root.find('/run/systemd/private', { follow: false })?.stat?.isSocket() === true);
  } catch {
    return false; // the container is gone, or its /run is unusable: the wait's own checks say so
  }
}

export async function waitUntilBooted(ctx: Context, leader: number, deadline: number, alive: () => boolean, timeoutSeconds: number): Promise<string> {
  // What `systemctl is-system-running` says while systemd's socket is not there yet.
  let last = 'offline';
  let delay = 5;
  let waitInside = true;
  let waitFailures = 0;
  for (;;) {
    const wait = waitInside && hasPrivateSocket(leader);
    if (wait || !waitInside) {
      const r = await ctx.run(isSystemRunningArgv(leader, { wait }), {
        reject: false,
        cleanEnv: true,
        env: { PATH: process.env.PATH },
        // The wait may take the whole boot; a poll answers at once.
        timeoutMs: wait ? Math.max(deadline - Date.now(), 1) : 5000,
      });
      last = r.stdout.trim() || last;
      if (isUp(last)) return last;
      if (wait) {
        // A wait can fail at once when it connects between systemd's bind() and listen():
        // try again. systemd < 240 has no --wait; a wait cut by the deadline is over too:
        // poll from then on (one poll reports the state systemd is in).
        waitFailures += 1;
        if (/unrecognized option|invalid option/.test(r.stderr) || waitFailures >= 3 || Date.now() > deadline) {
          waitInside = false;
          ctx.log.debug(`is-system-running --wait gave "${last}": polling instead`);
        }
        if (alive()) continue;
      }
    }
    if (!alive()) throw new TestbedError('the container exited while booting');
    if (Date.now() > deadline) {
      throw new TestbedError(`the container did not finish booting within ${timeoutSeconds} s (systemd says: ${last})`, {
        hint: 'see racker logs, or raise --boot-timeout',
      });
    }
    await sleep(delay);
    delay = Math.min(delay + 5, waitInside ? 10 : 40);
  }
}

/**
 * The processes racker runs inside a container through nsenter (a booted container's
 * command, every exec), seen from the host.
 *
 * nsenter forks: the command is its child, inside the container's PID namespace, and
 * nsenter waits for it outside. When the command is stopped, nsenter stops itself too (job
 * control, for the shell that started it) until a SIGCONT comes. systemd's shutdown stops
 * every process of the container, signals them and continues them: the command goes on and
 * dies, but nsenter, outside, is never continued. It then holds the command's zombie, and
 * the container's PID namespace can't end while one of its processes is unreaped: systemd-nspawn
 * runs on, `stop` waited in vain and `rm -f` left it all behind (issue 23).
 */
import { childrenOf, commOf, processesRunning, signalIfAlive, stateOf, withDescendants } from '../exec/procfs.js';

/** Continue each stopped nsenter at or below `root` whose command is no longer stopped. */
export function resumeMirroredStops(root: number): void {
  for (const pid of withDescendants(root)) {
    if (commOf(pid) !== 'nsenter' || stateOf(pid) !== 'T') continue;
    const command = childrenOf(pid)[0];
    // A command stopped on purpose (kill -STOP inside) stays stopped, as in docker.
    if (command === undefined || stateOf(command) !== 'T') signalIfAlive(pid, 'SIGCONT');
  }
}

/** How often an exec's nsenter is checked for a stop it mirrored. */
export const RESUME_INTERVAL_MS = 200;

/** Watch the processes an exec started (nsenter, or script(1) above it with -t) until it ends. */
export function watchMirroredStops(started: number, ended: Promise<unknown>): void {
  const timer = setInterval(() => resumeMirroredStops(started), RESUME_INTERVAL_MS);
  timer.unref();
  void ended.then(() => clearInterval(timer));
}

/** Every nsenter running something in the container whose PID 1 is `leader`. */
export function nsentersInto(leader: number): number[] {
  return processesRunning('nsenter', `--target=${leader}`);
}

/** The command an exec started: nsenter's child, below `started` (nsenter itself, or script(1) with -t). */
export function commandInside(started: number): number | undefined {
  for (const pid of withDescendants(started)) if (commOf(pid) === 'nsenter') return childrenOf(pid)[0];
  return undefined;
}

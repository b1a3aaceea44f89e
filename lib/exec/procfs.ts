/** What /proc says about a process (its children, its name, whether it still runs), and signalling one that may be gone. */
import { readdirSync, readFileSync } from 'node:fs';

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Running, or at least not a zombie (one that has exited and not been collected yet). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  // A zombie has exited; only its parent has not collected it yet.
  const state = stateOf(pid);
  return state !== undefined && state !== 'Z';
}

/** Send a signal; a process that is already gone is not an error. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** The state letter of /proc/PID/stat (R, S, D, T, Z, …); undefined when the process is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** pid and every process below it, parents first. */
export function withDescendants(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length && all.length < 10_000; i++) all.push(...childrenOf(all[i]!));
  return all;
}

/** Every process whose argv starts with `program` (its base name) and includes `arg`: one pass over /proc. */
export function processesRunning(program: string, arg: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0]?.split('/').pop() === program && argv.includes(arg)) found.push(Number(name));
  }
  return found;
}

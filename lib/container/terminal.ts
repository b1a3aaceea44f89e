/**
 * Resizing a terminal racker made for a command (exec -t through the Engine API, a container's
 * main process with Tty): found by process, never by name. The terminal may be the
 * container's own (its devpts), where a name like /dev/pts/3 means another terminal on the
 * host; /proc/PID/fd/0 opens the very one the process holds.
 */
import { readlinkSync } from 'node:fs';
import type { Context } from '../context.js';
import { childrenOf } from '../exec/procfs.js';

/** How far below the started process the command with the terminal may be (sh wrapper, nsenter, script, its shell). */
const MAX_DEPTH = 5;

/** /proc/PID/fd/0 of the first process under `pid` (itself included) whose stdin is a pseudo-terminal. */
export function terminalUnder(pid: number): string | undefined {
  let level = [pid];
  for (let depth = 0; depth <= MAX_DEPTH && level.length; depth++) {
    for (const p of level) {
      try {
        // A direct-mode container's PID 1 has nspawn's pty as its /dev/console.
        if (/^\/dev\/(pts\/\d+|console)$/.test(readlinkSync(`/proc/${p}/fd/0`))) return `/proc/${p}/fd/0`;
      } catch {
        /* gone, or not ours to read */
      }
    }
    level = level.flatMap(childrenOf);
  }
  return undefined;
}

/** Set the size (stty opens it non-blocking, so a swapped descriptor can't hang it). */
export async function resizeTerminal(ctx: Context, terminal: string, rows: number, cols: number): Promise<void> {
  await ctx.run(['stty', '-F', terminal, 'rows', String(rows), 'cols', String(cols)], { reject: false, timeoutMs: 5000 });
}

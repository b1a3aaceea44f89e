/**
 * Resizing a terminal racker made for a command (exec -t through the Engine API, a container's
 * main process with Tty): found by process, never by name. The terminal may be the
 * container's own (its devpts), where a name like /dev/pts/3 means another terminal on the
 * host; /proc/PID/fd/0 opens the very one the process holds.
 */
import { spawnSync } from 'node:child_process';
import { fstatSync, readFileSync, readlinkSync } from 'node:fs';
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

/**
 * stty on racker's own stdout (its stdin may be another file, or none); undefined when it
 * fails (killed after 5 s: a stty stopped by SIGTTOU would not end on SIGTERM).
 */
function sttyOnStdout(args: string[]): string | undefined {
  const r = spawnSync('stty', args, { stdio: [1, 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * racker is a background job of the terminal on its stdout (a shell's `&`, or `bg`): changing
 * that terminal's settings would stop the whole job (SIGTTOU), so they are left alone then.
 */
function inBackgroundOfStdout(): boolean {
  try {
    // After the command name (which may hold spaces and parentheses): state ppid pgrp session tty_nr tpgid.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return ttyNr === fstatSync(1).rdev && tpgid !== pgrp;
  } catch {
    return false;
  }
}

export interface OutputTerminal {
  /** Pass resizes on to the terminal of the command under `pid` until `ended`, then put the settings back. */
  follow(ctx: Context, pid: number, ended: Promise<unknown>): void;
  /** Put the settings back now (the command did not start). */
  release(): void;
}

/**
 * A command's terminal shown on racker's own terminal that is not script(1)'s stdin (-t
 * without -i): script takes raw mode and the window size from its stdin only, so neither
 * happens. What systemd-nspawn's console does for a direct-mode container, done here: output
 * post-processing off on racker's terminal (the bytes already have the command terminal's
 * \r\n, which ONLCR would make \r\r\n), input settings left alone (Ctrl-C still interrupts),
 * and each resize passed on. Call before the command starts: its first line comes as it starts.
 */
export function ownOutputTerminal(): OutputTerminal {
  const saved = inBackgroundOfStdout() ? undefined : sttyOnStdout(['-g']);
  const changed = saved !== undefined && sttyOnStdout(['-opost']) !== undefined;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    if (changed && !inBackgroundOfStdout()) sttyOnStdout([saved]);
  };
  // Ended without reaching the end of the command (process.exit after ^C): the user's terminal as it was.
  process.once('exit', restore);
  return {
    follow(ctx, pid, ended) {
      // One stty at a time: sizes set in the order they came.
      let last: Promise<void> = Promise.resolve();
      const onResize = () => {
        const { rows, columns } = process.stdout;
        last = last.then(async () => {
          const terminal = terminalUnder(pid);
          if (terminal && rows && columns) await resizeTerminal(ctx, terminal, rows, columns);
        });
      };
      process.stdout.on('resize', onResize);
      void ended.then(() => {
        process.stdout.off('resize', onResize);
        restore();
      });
    },
    release: restore,
  };
}

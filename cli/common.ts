/** Helpers shared by the command files: the Context for a parsed argv, root check, output. */
import { createContext, type Context } from '../lib/context.js';
import { PermissionError, RackerError, UsageError } from '../lib/errors.js';
import { isDebug, oneLine } from './boundary.js';

export interface GlobalArgs {
  debug?: boolean;
}

export function contextFor(args: GlobalArgs & { quiet?: boolean }, opts: { root?: boolean } = { root: true }): Context {
  if (opts.root !== false && typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new PermissionError('racker must run as root (try sudo)');
  }
  // Overlay mount options are separated by ',' and ':'; a root containing them can't work.
  const root = process.env.RACKER_ROOT;
  if (root !== undefined && (root === '' || /[,:\n]/.test(root))) {
    throw new UsageError(`RACKER_ROOT must be a directory path without ',' or ':' (got ${JSON.stringify(root)})`);
  }
  const verbose = Boolean(args.debug) || isDebug([], process.env);
  return createContext({ verbose, quiet: args.quiet });
}

/** stdout is data: write lines there and nothing else. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
}

/**
 * docker's rule for verbs taking several names (rm, stop, rmi, …): try every name, report
 * each failure on stderr, exit 1 if any failed; with a single name its error is the error.
 */
export async function forEachName(names: readonly string[], work: (name: string) => Promise<void>): Promise<void> {
  let failed = false;
  for (const name of names) {
    try {
      await work(name);
    } catch (err) {
      if (names.length === 1) throw err;
      failed = true;
      process.stderr.write(`racker: ${oneLine((err as Error).message)}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}

/**
 * `-it` with a stdin that is not a terminal (a pipe, a file, CI): docker's "the input device is
 * not a TTY" (exit 1), before anything starts. `-t` alone is fine: the command gets a pseudo-terminal.
 */
export function requireTerminalForIt(args: { tty?: boolean; interactive?: boolean }): void {
  if (args.tty && args.interactive && !process.stdin.isTTY) throw new RackerError('the input device is not a TTY', { exitCode: 1 });
}

/** docker's words and exit code (1, a client-side error) for a command given too few arguments. */
export function missingArguments(prog: string, command: string, n: number): RackerError {
  return new RackerError(`"${prog} ${command}" requires at least ${n} argument${n === 1 ? '' : 's'} (see ${prog} ${command} --help)`, { exitCode: 1 });
}

/** A flag given once or more, declared as a plain string (a yargs array would also take the positional after it). */
export function repeated(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

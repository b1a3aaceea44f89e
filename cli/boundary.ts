/**
 * The one error boundary: the only place that turns errors into messages and exit codes.
 * Known errors (RackerError) print one line; anything else is a bug and prints one line
 * too, with the stack only under --debug / RACKER_DEBUG=1.
 */
import { EXIT_RACKER, RackerError } from '../lib/errors.js';

export function isDebug(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.RACKER_DEBUG && env.RACKER_DEBUG !== '0') return true;
  // Only flags before the first positional are racker's own; later ones belong to the command.
  for (const a of argv) {
    if (a === '--debug' || a === '-D' || a === '--verbose') return true;
    if (!a.startsWith('-')) break;
  }
  return false;
}

/**
 * Messages echo what the user typed (`No such container: NAME`): a newline or a terminal
 * escape in it would break the one-line rule, or forge a second line. Control characters
 * are shown escaped (\n, \x1b), tabs kept.
 */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function reportError(prog: string, err: unknown, debug: boolean, usageExitCode: number): number {
  if (err instanceof RackerError) {
    // A usage error whose code was set (1 for a command's own refusal) keeps it.
    const code = err.name === 'UsageError' && err.exitCode === EXIT_RACKER ? usageExitCode : err.exitCode;
    process.stderr.write(`${prog}: ${oneLine(`${err.message}${err.hint ? ` (${err.hint})` : ''}`)}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return code;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${prog}: internal error: ${oneLine(message)}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write(`${prog}: run with --debug for details\n`);
  return 125;
}

/** 128 + SIGPIPE: what a shell reports for docker, a Go program that dies of the signal. */
export const EXIT_STDOUT_CLOSED = 141;

let onStdoutClosed: 'exit' | 'discard' = 'exit';

/**
 * A command that owns a container (a foreground run, exec, shell) keeps going when its
 * reader goes away, and drops the output: exiting would orphan the container it watches.
 */
export function keepRunningWhenStdoutCloses(): void {
  onStdoutClosed = 'discard';
}

/**
 * stdout's reader went away (`racker logs C | head -5`): end quietly, as docker does (it dies
 * of SIGPIPE), not with Node's EPIPE stack trace.
 */
function handleClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (onStdoutClosed === 'exit') process.exit(EXIT_STDOUT_CLOSED);
  });
}

export async function guard(prog: string, usageExitCode: number, main: () => Promise<number | void>): Promise<void> {
  const debug = isDebug(process.argv.slice(2), process.env);
  handleClosedStdout();
  try {
    const code = await main();
    process.exitCode = code ?? process.exitCode ?? 0;
  } catch (err) {
    process.exitCode = reportError(prog, err, debug, usageExitCode);
  }
}

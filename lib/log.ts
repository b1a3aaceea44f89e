/**
 * One logger for everything racker prints that is not data: it all goes to stderr,
 * so stdout stays clean for IDs, tables and JSON.
 */
export interface Logger {
  /** --debug / RACKER_DEBUG: subprocess argv and timings, each line stamped with the
   * milliseconds since the process started (where a command spends its time). */
  debug(message: string): void;
  /** Progress and status lines a user wants to see. */
  info(message: string): void;
  warn(message: string): void;
  readonly verbose: boolean;
}

export function createLogger(opts: { verbose: boolean; quiet?: boolean; write?: (s: string) => void }): Logger {
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  return {
    verbose: opts.verbose,
    debug: (m) => {
      if (opts.verbose) write(`racker: +${Math.round(performance.now())}ms ${m}\n`);
    },
    info: (m) => {
      if (!opts.quiet) write(`${m}\n`);
    },
    warn: (m) => write(`WARNING: ${m}\n`),
  };
}

export const silentLogger: Logger = { verbose: false, debug() {}, info() {}, warn() {} };

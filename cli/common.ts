/** Helpers shared by the command files: the Context for a parsed argv, root check, output. */
import { createContext, type Context } from '../lib/context.js';
import { PermissionError, UsageError } from '../lib/errors.js';
import { isDebug } from './boundary.js';

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

/**
 * What every operation needs, passed down instead of imported as globals,
 * so tests can swap the runner, the paths or the clock.
 */
import { createLogger, type Logger } from './log.js';
import { createRunner, type Runner } from './exec/run.js';
import { resolvePaths, type Paths } from './state/paths.js';
import { callerFromEnv, type Caller } from './access/caller.js';

export interface Context {
  log: Logger;
  run: Runner;
  paths: Paths;
  clock: () => Date;
  env: NodeJS.ProcessEnv;
  /**
   * Whom the work is for when that is not root: set by the Engine API service per request,
   * and on the commands it runs for a member (RACKER_CALLER). Undefined: root's own use.
   */
  caller?: Caller;
}

export function createContext(opts: { verbose: boolean; quiet?: boolean; env?: NodeJS.ProcessEnv }): Context {
  const log = createLogger({ verbose: opts.verbose, quiet: opts.quiet });
  const env = opts.env ?? process.env;
  const caller = callerFromEnv(env.RACKER_CALLER);
  return { log, run: createRunner(log), paths: resolvePaths(env), clock: () => new Date(), env, ...(caller ? { caller } : {}) };
}

/**
 * What every operation needs, passed down instead of imported as globals,
 * so tests can swap the runner, the paths or the clock.
 */
import { createLogger, type Logger } from './log.js';
import { createRunner, type Runner } from './exec/run.js';
import { resolvePaths, type Paths } from './state/paths.js';

export interface Context {
  log: Logger;
  run: Runner;
  paths: Paths;
  clock: () => Date;
  env: NodeJS.ProcessEnv;
}

export function createContext(opts: { verbose: boolean; quiet?: boolean; env?: NodeJS.ProcessEnv }): Context {
  const log = createLogger({ verbose: opts.verbose, quiet: opts.quiet });
  const env = opts.env ?? process.env;
  return { log, run: createRunner(log), paths: resolvePaths(env), clock: () => new Date(), env };
}

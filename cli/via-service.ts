/**
 * Whether a command goes to the racker service (lib/client/forward.ts), and whether it can go
 * as typed. Small and without imports of weight: the launcher (cli/launcher.ts) asks it before
 * it loads racker's bundle, so a forwarded command starts without loading racker itself.
 */
import { commandWordIndex } from './trailing.js';

/**
 * Words run where they are typed, by anyone: completion; the service itself and racker's
 * internal commands; postroj's commands that need no machine (the label list, a CI matrix,
 * a summary of the caller's own report file).
 */
const LOCAL_WORDS: Record<string, ReadonlySet<string>> = {
  racker: new Set(['completion', '__supervise', '__pool-refill', '__cp-local']),
  postroj: new Set(['completion', 'list-images', 'matrix', 'summary']),
};

/** Whether this argv goes to the racker service: a user other than root, and a command that needs racker's state. */
export function viaService(argv: readonly string[], uid = process.getuid?.() ?? 0, program = 'racker'): boolean {
  if (uid === 0) return false;
  const i = commandWordIndex(argv);
  const word = argv[i];
  if (word === undefined || LOCAL_WORDS[program]?.has(word) || (word === 'system' && argv[i + 1] === 'service')) return false;
  // --help/--version before the command or among its own flags (not its trailing command's).
  let j = i + 1;
  while (j < argv.length && argv[j]!.startsWith('-')) j++;
  return !argv.slice(0, j).some((a) => a === '--help' || a === '-h' || a === '--version' || a === '--get-yargs-completions');
}

/**
 * Whether argv has a word resolveBareEnv (lib/client/forward.ts) may rewrite: `-e NAME` takes
 * NAME's value from the caller's environment, which needs racker's own split of argv into its
 * words and the container's (program.ts, ownWords), and so racker's bundle. Pure.
 */
export function hasBareEnvWords(argv: readonly string[]): boolean {
  return argv.some((a) => a === '-e' || a === '--env' || a.startsWith('--env='));
}

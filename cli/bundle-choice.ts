/**
 * Which of racker's bundles runs an argv (the launcher asks, cli/launcher.ts). Besides the
 * whole program's (cli/racker.ts), scripts/bundle.mjs builds one per command word, holding
 * that command alone, and one with no command for `racker --version`: a start reads,
 * deserializes and runs only its command's code, and yargs registers one command instead of
 * all of them (doc/performance.md, start-up). What depends on the other commands takes the
 * whole program: help of any kind (it lists them), completion, no command word (the help),
 * a word that is no command (its error), a management group's verb that is none.
 */
import { GROUPS } from './management-groups.js';
import { commandWordIndex } from './trailing.js';

/** The bundle of `racker --version` (no command word); scripts/bundle.mjs refuses a command of this name. */
export const NO_COMMAND = 'none';

/** The word whose bundle runs argv (NO_COMMAND included), or undefined for the whole program's. Pure. */
export function bundleWord(argv: readonly string[], hasBundle: (word: string) => boolean): string | undefined {
  // Anywhere, even in run's trailing command (`racker run img ls --help`): the whole program is never wrong.
  if (argv.some((a) => a === '--help' || a === '-h' || a === '--get-yargs-completions')) return undefined;
  const i = commandWordIndex(argv);
  let word = argv[i];
  if (word === undefined) return argv.includes('--version') && hasBundle(NO_COMMAND) ? NO_COMMAND : undefined;
  // `container ls` runs ps, `image prune` image (cli/management.ts rewrites argv the same way).
  if (Object.hasOwn(GROUPS, word)) {
    const verb = argv[i + 1];
    word = verb !== undefined && Object.hasOwn(GROUPS[word]!, verb) ? GROUPS[word]![verb]![0] : undefined;
  }
  return word !== undefined && word !== NO_COMMAND && hasBundle(word) ? word : undefined;
}

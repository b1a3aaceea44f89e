/**
 * docker's management commands, `docker container ls`, `docker image rm`: the same verbs
 * grouped by object. racker maps each onto its top-level verb before yargs parses (run and
 * exec must stay the first word for their trailing command, see trailing.ts).
 */
import { RackerError } from '../lib/errors.js';
import { GROUPS } from './management-groups.js';
import { commandWordIndex } from './trailing.js';

/** argv with `container VERB` / `image VERB` replaced by racker's own verb; anything else as it is. */
export function expandManagementCommand(argv: readonly string[]): string[] {
  const i = commandWordIndex(argv);
  const group = GROUPS[argv[i] ?? ''];
  if (!group) return [...argv];
  const verb = argv[i + 1];
  if (verb === '--help' || verb === '-h') return [...argv.slice(0, i), '--help'];
  const mapped = verb !== undefined ? group[verb] : undefined;
  if (!mapped) {
    const what = verb === undefined ? `'${argv[i]}' needs a command` : `'${argv[i]} ${verb}' is not a racker command`;
    throw new RackerError(`${what}: ${argv[i]} has ${Object.keys(group).join(', ')}`, { exitCode: 1 });
  }
  return [...argv.slice(0, i), ...mapped, ...argv.slice(i + 2)];
}

/**
 * docker's answers about the command word itself: none at all prints the help (exit 0); a
 * word that is no command is "'x' is not a racker command" (exit 1), not a guess at a
 * similar one (yargs offered `start` for `tag`).
 */
export function checkCommandWord(argv: readonly string[], known: ReadonlySet<string>): string[] {
  // The completion script asks yargs itself: `racker --get-yargs-completions racker ru`.
  if (argv.includes('--get-yargs-completions')) return [...argv];
  const word = argv[commandWordIndex(argv)];
  if (word === undefined) return argv.some((a) => ['--help', '-h', '--version'].includes(a)) ? [...argv] : [...argv, '--help'];
  if (!known.has(word)) throw new RackerError(`'${word}' is not a racker command (see racker --help)`, { exitCode: 1 });
  return [...argv];
}

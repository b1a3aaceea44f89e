/**
 * docker's management commands, `docker container ls`, `docker image rm`: the same verbs
 * grouped by object. racker maps each onto its top-level verb before yargs parses (run and
 * exec must stay the first word for their trailing command, see trailing.ts).
 */
import { UsageError } from '../lib/errors.js';

const GROUPS: Record<string, Record<string, string[]>> = {
  container: {
    ls: ['ps'],
    list: ['ps'],
    ps: ['ps'],
    run: ['run'],
    exec: ['exec'],
    start: ['start'],
    stop: ['stop'],
    restart: ['restart'],
    kill: ['kill'],
    rm: ['rm'],
    remove: ['rm'],
    wait: ['wait'],
    logs: ['logs'],
    inspect: ['inspect'],
    prune: ['system', 'prune'],
  },
  image: {
    ls: ['images'],
    list: ['images'],
    pull: ['pull'],
    rm: ['rmi'],
    remove: ['rmi'],
    inspect: ['inspect'],
    import: ['import'],
  },
};

/** argv with `container VERB` / `image VERB` replaced by racker's own verb; anything else as it is. */
export function expandManagementCommand(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i++;
  const group = GROUPS[argv[i] ?? ''];
  if (!group) return [...argv];
  const verb = argv[i + 1];
  if (verb === '--help' || verb === '-h') return [...argv.slice(0, i), '--help'];
  const mapped = verb !== undefined ? group[verb] : undefined;
  if (!mapped) {
    const what = verb === undefined ? `'${argv[i]}' needs a command` : `'${argv[i]} ${verb}' is not a racker command`;
    throw new UsageError(`${what}: ${argv[i]} has ${Object.keys(group).join(', ')}`);
  }
  return [...argv.slice(0, i), ...mapped, ...argv.slice(i + 2)];
}

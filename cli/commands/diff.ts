/** racker diff CONTAINER: files changed in the container's file system, as docker diff. */
import type { CommandModule } from 'yargs';
import { contextFor, missingArguments, out, type GlobalArgs } from '../common.js';

export const diffCommand: CommandModule<object, GlobalArgs & { container?: string }> = {
  command: 'diff [container]',
  describe: "Inspect changes to files or directories on a container's filesystem (A added, C changed, D deleted)",
  builder: (y) => y.positional('container', { type: 'string' }),
  handler: async (args) => {
    if (!args.container) throw missingArguments('racker', 'diff', 1);
    const ctx = contextFor(args);
    const { findContainer } = await import('../../lib/container/record.js');
    const { changeLine, containerChanges } = await import('../../lib/container/archive/changes.js');
    const changes = await containerChanges(ctx, await findContainer(ctx, args.container));
    if (changes.length) out(changes.map(changeLine).join('\n'));
  },
};

/** racker top CONTAINER [ps OPTIONS]: the container's processes, as docker top lists them. */
import type { CommandModule } from 'yargs';
import { contextFor, missingArguments, type GlobalArgs } from '../common.js';
import { trailing } from '../trailing.js';

export const topCommand: CommandModule<object, GlobalArgs> = {
  command: 'top',
  describe: 'Display the running processes of a container: racker top CONTAINER [ps OPTIONS]',
  builder: (y) => y.usage('Usage: racker top CONTAINER [ps OPTIONS]\n\nThe host\'s ps (default -ef), only the container\'s processes.'),
  handler: async (args) => {
    const [container, ...psArgs] = trailing().command;
    if (!container) throw missingArguments('racker', 'top', 1);
    const ctx = contextFor(args);
    const { findContainer } = await import('../../lib/container/record.js');
    const { topOf } = await import('../../lib/container/top.js');
    const { table } = await import('../../lib/format/human.js');
    const top = await topOf(ctx, await findContainer(ctx, container), psArgs.length ? psArgs : undefined);
    process.stdout.write(table(top.Titles, top.Processes));
  },
};

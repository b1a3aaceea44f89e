/** racker update [limits] CONTAINER…: new resource limits, applied at once to a running container. */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, forEachName, out, type GlobalArgs } from '../common.js';
import { resourceOptions, resourcesFromArgs, type ResourceArgs } from './resources.js';

type Args = GlobalArgs & ResourceArgs & { containers: string[] };

export const updateCommand: CommandModule<object, Args> = {
  command: 'update <containers..>',
  describe: 'Update configuration (resource limits) of one or more containers',
  builder: (y) => y.positional('containers', { type: 'string', array: true, demandOption: true }).options(resourceOptions),
  handler: async (args) => {
    const change = resourcesFromArgs(args);
    if (!change) throw new UsageError('you must provide one or more flags when using this command');
    const ctx = contextFor(args);
    const [{ findContainer }, { updateContainer }] = await Promise.all([import('../../lib/container/record.js'), import('../../lib/container/update.js')]);
    await forEachName(args.containers, async (name) => {
      await updateContainer(ctx, await findContainer(ctx.paths, name), change);
      out(name);
    });
  },
};

/** racker update [limits] [--restart] CONTAINER…: new resource limits, applied at once to a running container; a new restart policy. */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, forEachName, out, type GlobalArgs } from '../common.js';
import { resourceOptions, resourcesFromArgs, type ResourceArgs } from './resources.js';

type Args = GlobalArgs & ResourceArgs & { containers: string[]; restart?: string };

export const updateCommand: CommandModule<object, Args> = {
  command: 'update <containers..>',
  describe: 'Update configuration (resource limits, restart policy) of one or more containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true, demandOption: true })
      .options(resourceOptions)
      .option('restart', { type: 'string', describe: 'Restart policy to apply when the container exits: no, always, unless-stopped, on-failure[:max-retries]' }),
  handler: async (args) => {
    const resources = resourcesFromArgs(args);
    if (!resources && args.restart === undefined) throw new UsageError('you must provide one or more flags when using this command');
    const ctx = contextFor(args);
    const [{ findContainer }, { updateContainer }, { parseRestartPolicy }] = await Promise.all([
      import('../../lib/container/record.js'),
      import('../../lib/container/update.js'),
      import('../../lib/container/restart-policy.js'),
    ]);
    const policy = args.restart === undefined ? undefined : parseRestartPolicy(args.restart);
    const restartPolicy = policy === undefined ? undefined : policy.name === 'no' ? null : policy;
    await forEachName(args.containers, async (name) => {
      await updateContainer(ctx, await findContainer(ctx, name), { ...(resources ? { resources } : {}), ...(restartPolicy !== undefined ? { restartPolicy } : {}) });
      out(name);
    });
  },
};

import type { CommandModule } from 'yargs';
import { contextFor, forEachName, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  images: string[];
  force?: boolean;
}

export const rmiCommand: CommandModule<object, Args> = {
  command: 'rmi <images..>',
  describe: 'Remove one or more images',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true, demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Remove even if a container uses it (the data stays until that container is removed)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { removeImage } = await import('../../lib/image/remove.js');
    await forEachName(args.images, async (name) => {
      for (const line of await removeImage(ctx, name, { force: args.force })) out(`${line.kind}: ${line.what}`);
    });
  },
};

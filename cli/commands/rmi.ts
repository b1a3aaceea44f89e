import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

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
    // Like docker: try every name, report each failure, exit non-zero if any failed.
    let firstError: unknown;
    for (const name of args.images) {
      try {
        for (const line of await removeImage(ctx, name, { force: args.force })) out(`${line.kind}: ${line.what}`);
      } catch (err) {
        if (args.images.length === 1) throw err;
        firstError ??= err;
        process.stderr.write(`racker: ${(err as Error).message}\n`);
      }
    }
    if (firstError) process.exitCode = 1;
  },
};

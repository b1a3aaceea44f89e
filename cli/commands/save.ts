import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  images: string[];
  output?: string;
}

export const saveCommand: CommandModule<object, Args> = {
  command: 'save <images..>',
  describe: 'Save images to a tar archive (docker save format; streamed to stdout by default)',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true, demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'Write to a file instead of stdout' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { UsageError } = await import('../../lib/errors.js');
    if (!args.output && process.stdout.isTTY) throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const { saveToFileOrStdout } = await import('../../lib/image/save-out.js');
    await saveToFileOrStdout(ctx, args.images, args.output);
  },
};

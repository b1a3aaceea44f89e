import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  file: string;
  reference?: string;
  quiet?: boolean;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file> [reference]',
  describe: 'Import a root filesystem tarball (.tar, .tar.gz, .tar.xz; a file or an http(s) URL) as an image',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Tarball path or URL' })
      .positional('reference', { type: 'string', describe: 'REPOSITORY[:TAG] to tag the image with' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { importImage } = await import('../../lib/image/import.js');
    const { progress } = await import('../progress.js');
    const live = args.quiet ? undefined : progress();
    let id: string;
    try {
      id = await importImage(ctx, args.file, args.reference, { progress: live?.line, meter: live?.meter });
    } finally {
      live?.done();
    }
    out(id);
  },
};

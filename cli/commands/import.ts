import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  file: string;
  reference?: string;
  quiet?: boolean;
  change?: string[];
  message?: string;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file> [reference]',
  describe: 'Import a root filesystem tarball (.tar, .tar.gz, .tar.xz; a file or an http(s) URL) as an image',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Tarball path or URL' })
      .positional('reference', { type: 'string', describe: 'REPOSITORY[:TAG] to tag the image with' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output' })
      .option('change', { alias: 'c', type: 'string', array: true, describe: 'Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, WORKDIR)' })
      .option('message', { alias: 'm', type: 'string', describe: 'Set a commit message for the imported image' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { importImage } = await import('../../lib/image/import.js');
    const { progress } = await import('../progress.js');
    const live = args.quiet ? undefined : progress();
    let id: string;
    try {
      id = await importImage(ctx, args.file, args.reference, {
        progress: live?.line,
        meter: live?.meter,
        changes: (args.change ?? []).map(String),
        ...(args.message ? { message: args.message } : {}),
      });
    } finally {
      live?.done();
    }
    out(id);
  },
};

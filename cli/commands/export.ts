/** racker export [-o FILE] CONTAINER: the container's file system as a tar, as docker export. */
import type { CommandModule } from 'yargs';
import { RackerError } from '../../lib/errors.js';
import { contextFor, missingArguments, type GlobalArgs } from '../common.js';

export const exportCommand: CommandModule<object, GlobalArgs & { container?: string; output?: string }> = {
  command: 'export [container]',
  describe: "Export a container's filesystem as a tar archive",
  builder: (y) => y.positional('container', { type: 'string' }).option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' }),
  handler: async (args) => {
    if (!args.container) throw missingArguments('racker', 'export', 1);
    // docker's words: a tar on a terminal helps nobody.
    if (args.output === undefined && process.stdout.isTTY) throw new RackerError('cowardly refusing to save to a terminal. Use the -o flag or redirect', { exitCode: 1 });
    const ctx = contextFor(args);
    const { findContainer } = await import('../../lib/container/record.js');
    const { exportToFile } = await import('../../lib/container/archive/export.js');
    await exportToFile(ctx, await findContainer(ctx, args.container), args.output);
  },
};

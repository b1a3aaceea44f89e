import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  container: string;
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  journal?: boolean;
}

export const logsCommand: CommandModule<object, Args> = {
  command: 'logs <container>',
  describe: "Fetch the logs of a container (its main command's stdout and stderr)",
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow log output' })
      .option('tail', { alias: 'n', type: 'string', default: 'all', describe: 'Number of lines to show from the end' })
      .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' })
      .option('journal', { type: 'boolean', describe: "A booted container's systemd journal instead" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { findContainer } = await import('../../lib/container/record.js');
    const record = await findContainer(ctx.paths, args.container);
    const { UsageError } = await import('../../lib/errors.js');
    const tail = args.tail === 'all' ? Infinity : Number(args.tail);
    if (!Number.isInteger(tail) && tail !== Infinity) throw new UsageError(`invalid --tail value: ${args.tail}`);
    if (args.journal) {
      const { showJournal } = await import('../../lib/container/journal.js');
      process.exitCode = await showJournal(ctx, record, { follow: Boolean(args.follow), lines: tail });
      return;
    }
    const { followLogs } = await import('../../lib/container/follow.js');
    await followLogs(ctx, record, {
      follow: Boolean(args.follow),
      tail,
      write: (e) => {
        const text = args.timestamps ? `${e.time} ${e.log}` : e.log;
        (e.stream === 'stdout' ? process.stdout : process.stderr).write(text);
      },
    });
  },
};

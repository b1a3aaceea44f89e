import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  container: string;
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  journal?: boolean;
  since?: string;
  until?: string;
  details?: boolean;
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
      .option('since', { type: 'string', describe: 'Only lines since a time: 2024-01-02T15:04:05Z, unix seconds, or a duration before now (10m, 1h30m)' })
      .option('until', { type: 'string', describe: 'Only lines before a time (same forms as --since)' })
      .option('details', { type: 'boolean', describe: "Show the lines' extra attributes (racker's log has none: a leading space, as docker)" })
      .option('journal', { type: 'boolean', describe: "A booted container's systemd journal instead" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { findContainer } = await import('../../lib/container/record.js');
    const record = await findContainer(ctx, args.container);
    const { UsageError } = await import('../../lib/errors.js');
    const tail = args.tail === 'all' ? Infinity : Number(args.tail);
    if (!Number.isInteger(tail) && tail !== Infinity) throw new UsageError(`invalid --tail value: ${args.tail}`);
    if (args.journal) {
      const { showJournal } = await import('../../lib/container/journal.js');
      process.exitCode = await showJournal(ctx, record, { follow: Boolean(args.follow), lines: tail });
      return;
    }
    const [{ followLogs }, { parseTimeBound, nanoTimestamp }] = await Promise.all([import('../../lib/container/follow.js'), import('../../lib/container/log-time.js')]);
    const now = ctx.clock().getTime();
    const since = args.since !== undefined ? parseTimeBound('since', args.since, now) : -Infinity;
    const until = args.until !== undefined ? parseTimeBound('until', args.until, now) : Infinity;
    await followLogs(ctx, record, {
      follow: Boolean(args.follow),
      tail,
      write: (e) => {
        const t = Date.parse(e.time);
        if (t < since || t > until) return;
        const text = `${args.timestamps ? `${nanoTimestamp(e.time)} ` : ''}${args.details ? ' ' : ''}${e.log}`;
        (e.stream === 'stdout' ? process.stdout : process.stderr).write(text);
      },
    });
  },
};

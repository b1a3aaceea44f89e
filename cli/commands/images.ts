import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  quiet?: boolean;
  format?: string;
  'no-trunc'?: boolean;
}

export const imagesCommand: CommandModule<object, Args> = {
  command: 'images',
  describe: 'List images',
  builder: (y) =>
    y
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
      .option('format', { type: 'string', choices: ['table', 'json'], describe: 'Output format' })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { imageRows } = await import('../../lib/image/list.js');
    const { humanDuration, humanSize, table } = await import('../../lib/format/human.js');
    const { shortId } = await import('../../lib/image/store.js');
    const rows = await imageRows(ctx.paths);
    const id = (full: string) => (args['no-trunc'] ? full : shortId(full));
    if (args.quiet) {
      out([...new Set(rows.map((r) => id(r.id)))].join('\n'));
      return;
    }
    if (args.format === 'json') {
      for (const r of rows) {
        out(JSON.stringify({ Repository: r.repository, Tag: r.tag, ID: id(r.id), CreatedAt: r.created ?? '', Size: humanSize(r.size), VirtualSize: r.size, Systemd: r.record.systemd, Origin: r.record.origin.kind }));
      }
      return;
    }
    const now = ctx.clock().getTime();
    const created = (iso?: string) => (iso ? `${humanDuration(now - Date.parse(iso))} ago` : 'N/A');
    process.stdout.write(
      table(
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        rows.map((r) => [r.repository, r.tag, id(r.id), created(r.created), humanSize(r.size)]),
      ),
    );
  },
};

import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  image: string;
  'no-trunc'?: boolean;
  quiet?: boolean;
  human?: boolean;
  format?: string;
}

export const historyCommand: CommandModule<object, Args> = {
  command: 'history <image>',
  describe: 'Show the history of an image',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
      .option('human', { alias: 'H', type: 'boolean', default: true, describe: 'Print sizes and dates in human readable format' })
      .option('format', { type: 'string', describe: "table, json, or a Go template: '{{.ID}} {{.CreatedBy}}'" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { imageHistory } = await import('../../lib/image/history-of.js');
    const { createdByCell } = await import('../../lib/image/history.js');
    const { humanDuration, humanSize, table } = await import('../../lib/format/human.js');
    const { shortId } = await import('../../lib/image/store.js');
    const rows = await imageHistory(ctx, args.image);
    const noTrunc = Boolean(args['no-trunc']);
    const id = (v: string) => (v === '<missing>' || noTrunc ? v : shortId(v));
    if (args.quiet) {
      out(rows.map((r) => id(r.id)).join('\n'));
      return;
    }
    const now = ctx.clock().getTime();
    const created = (iso?: string) => (!iso ? 'N/A' : args.human ? `${humanDuration(now - Date.parse(iso))} ago` : iso);
    const objects = rows.map((r) => ({
      ID: id(r.id),
      CreatedSince: created(r.created),
      CreatedAt: r.created ?? '',
      CreatedBy: createdByCell(r.createdBy, noTrunc),
      Size: args.human ? humanSize(r.size) : String(r.size),
      Comment: r.comment,
    }));
    if (args.format === 'json') {
      for (const o of objects) out(JSON.stringify(o));
      return;
    }
    if (args.format && args.format !== 'table') {
      const { renderRows } = await import('../../lib/format/template.js');
      process.stdout.write(renderRows(args.format, objects, { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' }));
      return;
    }
    process.stdout.write(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], objects.map((o) => [o.ID, o.CreatedSince, o.CreatedBy, o.Size, o.Comment])));
  },
};

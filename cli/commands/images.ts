import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  reference?: string;
  quiet?: boolean;
  format?: string;
  'no-trunc'?: boolean;
}

export const imagesCommand: CommandModule<object, Args> = {
  command: 'images [reference]',
  describe: 'List images',
  builder: (y) =>
    y
      .positional('reference', { type: 'string', describe: 'Only this REPOSITORY[:TAG]' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
      .option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Repository}}:{{.Tag}}'" })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { imageRows } = await import('../../lib/image/list.js');
    const { humanDuration, humanSize, table } = await import('../../lib/format/human.js');
    const { shortId } = await import('../../lib/image/store.js');
    // docker: REPOSITORY alone lists all its tags; REPOSITORY:TAG that one.
    const wanted = args.reference;
    const rows = (await imageRows(ctx.paths)).filter((r) => wanted === undefined || r.repository === wanted || `${r.repository}:${r.tag}` === wanted);
    const id = (full: string) => (args['no-trunc'] ? full : shortId(full));
    if (args.quiet) {
      out([...new Set(rows.map((r) => id(r.id)))].join('\n'));
      return;
    }
    const now = ctx.clock().getTime();
    const created = (iso?: string) => (iso ? `${humanDuration(now - Date.parse(iso))} ago` : 'N/A');
    const objects = rows.map((r) => ({
      Repository: r.repository,
      Tag: r.tag,
      ID: id(r.id),
      CreatedAt: r.created ?? '',
      CreatedSince: created(r.created),
      Size: humanSize(r.size),
      VirtualSize: r.size,
      Systemd: r.record.systemd,
      Origin: r.record.origin.kind,
    }));
    if (args.format === 'json') {
      for (const o of objects) out(JSON.stringify(o));
      return;
    }
    if (args.format && args.format !== 'table') {
      const { renderRows } = await import('../../lib/format/template.js');
      process.stdout.write(renderRows(args.format, objects, { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE' }));
      return;
    }
    process.stdout.write(
      table(
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        rows.map((r) => [r.repository, r.tag, id(r.id), created(r.created), humanSize(r.size)]),
      ),
    );
  },
};

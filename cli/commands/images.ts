import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  reference?: string;
  quiet?: boolean;
  format?: string;
  'no-trunc'?: boolean;
  all?: boolean;
  digests?: boolean;
  filter?: string[];
}

export const imagesCommand: CommandModule<object, Args> = {
  command: 'images [reference]',
  describe: 'List images',
  builder: (y) =>
    y
      .positional('reference', { type: 'string', describe: 'Only this REPOSITORY[:TAG]' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
      .option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Repository}}:{{.Tag}}'" })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (racker has no intermediate images: the same list)' })
      .option('digests', { type: 'boolean', describe: 'Show digests' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter: dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE, reference=PATTERN' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { imageRows } = await import('../../lib/image/list.js');
    const { humanDuration, humanSize, table } = await import('../../lib/format/human.js');
    const { shortId } = await import('../../lib/image/store.js');
    const { formatPlatform, hostPlatform } = await import('../../lib/image/platform.js');
    // docker: REPOSITORY alone lists all its tags; REPOSITORY:TAG that one.
    const wanted = args.reference;
    const { filterImageRows } = await import('../../lib/image/list-filter.js');
    const all = await imageRows(ctx.paths);
    const rows = filterImageRows(all, args.filter ?? []).filter((r) => wanted === undefined || r.repository === wanted || `${r.repository}:${r.tag}` === wanted);
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
      Digest: r.digest ?? '<none>',
      ID: id(r.id),
      CreatedAt: r.created ?? '',
      CreatedSince: created(r.created),
      Size: humanSize(r.size),
      VirtualSize: r.size,
      Systemd: r.record.systemd,
      Origin: r.record.origin.kind,
      Source: r.source ?? '',
      // Not docker's (its table has no such column): racker's, named as image inspect's field, and
      // as os/arch[/variant] for a glance; the table stays docker's.
      Architecture: r.record.architecture ?? hostPlatform().architecture,
      Platform: formatPlatform(r.record.architecture ? r.record : hostPlatform()),
    }));
    if (args.format === 'json') {
      for (const o of objects) out(JSON.stringify(o));
      return;
    }
    if (args.format && args.format !== 'table') {
      const { renderRows } = await import('../../lib/format/template.js');
      process.stdout.write(renderRows(args.format, objects, { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Architecture: 'ARCHITECTURE', Platform: 'PLATFORM' }));
      return;
    }
    const digest = (r: (typeof rows)[number]) => (args.digests ? [r.digest ?? '<none>'] : []);
    // Images run from a URL, path or archive: a SOURCE column, only when one is listed.
    const sources = rows.some((r) => r.source);
    const source = (r: (typeof rows)[number]) => (sources ? [r.source ?? ''] : []);
    process.stdout.write(
      table(
        ['REPOSITORY', 'TAG', ...(args.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE', ...(sources ? ['SOURCE'] : [])],
        rows.map((r) => [r.repository, r.tag, ...digest(r), id(r.id), created(r.created), humanSize(r.size), ...source(r)]),
      ),
    );
  },
};

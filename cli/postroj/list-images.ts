import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  format?: string;
}

export const listImagesCommand: CommandModule<object, Args> = {
  command: 'list-images',
  describe: 'The curated labels: family, source reference, kind (container base image or bootable bootc image), and whether pulled',
  builder: (y) => y.option('format', { type: 'string', choices: ['table', 'json'], describe: 'Output format' }),
  handler: async (args) => {
    // Reading the table needs no root; "pulled" is only known where the store is readable.
    const ctx = contextFor(args, { root: false });
    const { LABELS } = await import('../../lib/image/labels.js');
    const { readTags } = await import('../../lib/image/store.js');
    const { labelKey } = await import('../../lib/image/names.js');
    const { table } = await import('../../lib/format/human.js');
    const tags = await readTags(ctx.paths).catch(() => ({}) as Record<string, unknown>);
    const rows = LABELS.map((l) => ({
      name: l.name,
      family: l.family,
      source: l.source,
      bootstrap: Boolean(l.bootstrap),
      kind: l.bootable ?? 'container',
      pulled: labelKey(l.name) in tags,
      notes: l.notes ?? '',
    }));
    if (args.format === 'json') {
      out(JSON.stringify(rows, null, 2));
      return;
    }
    process.stdout.write(
      table(
        ['LABEL', 'FAMILY', 'SOURCE', 'BOOTSTRAP', 'KIND', 'PULLED'],
        rows.map((r) => [r.name, r.family, r.source, r.bootstrap ? 'mmdebstrap' : '-', r.kind, r.pulled ? 'yes' : 'no']),
      ),
    );
  },
};

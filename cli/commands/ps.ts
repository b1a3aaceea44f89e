import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';
import { printListing } from '../listing.js';

/** docker's column titles for `ps --format 'table …'`. */
const PS_HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Names: 'NAMES',
  Size: 'SIZE',
};

interface Args extends GlobalArgs {
  all?: boolean;
  quiet?: boolean;
  'no-trunc'?: boolean;
  format?: string;
  filter?: string[];
  last?: number;
  latest?: boolean;
  size?: boolean;
}

export const psCommand: CommandModule<object, Args> = {
  command: 'ps',
  describe: 'List containers',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
      .option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Names}}', 'table {{.ID}}\\t{{.Status}}'" })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter: name=…, status=created|running|exited, id=…, ancestor=…' })
      .option('last', { alias: 'n', type: 'number', describe: 'The n last created containers (all states)' })
      .option('latest', { alias: 'l', type: 'boolean', describe: 'The last created container (all states)' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Display total file sizes (what it wrote, and with its image: virtual)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { visibleContainers, liveState } = await import('../../lib/container/record.js');
    const { reapOrphan } = await import('../../lib/container/control.js');
    const { psRow, matchesFilter, validateFilters } = await import('../../lib/container/view.js');
    const filters = args.filter ?? [];
    // docker: -n and -l show containers of every state, newest first.
    const last = args.latest ? 1 : args.last !== undefined && args.last >= 0 ? args.last : undefined;
    validateFilters(filters);
    let records = await visibleContainers(ctx);
    // Containers whose racker process died: record their end now that it is known.
    const orphans = records.filter((r) => r.state.status === 'running' && liveState(r).status === 'exited');
    if (orphans.length) {
      await Promise.all(orphans.map((r) => reapOrphan(ctx, r.id)));
      records = await visibleContainers(ctx);
    }
    // A network namespace a killed racker left while starting goes too (cheap: a readdir when there is none).
    const { reconcileNetworking } = await import('../../lib/net/reconcile.js');
    await reconcileNetworking(ctx);
    const now = ctx.clock().getTime();
    const shown = records
      // A pool's idle (or ended) warm machines are racker's, not the user's: shown by -a only.
      .filter((r) => args.all || !r.pool || (r.pool.takenBy !== undefined && !r.pool.ended))
      .filter((r) => args.all || last !== undefined || filters.some((f) => f.startsWith('status=')) || liveState(r).status === 'running')
      .filter((r) => matchesFilter(r, filters))
      .sort((a, b) => b.created.localeCompare(a.created))
      .slice(0, last);
    const rows: Array<ReturnType<typeof psRow> & { Size?: string }> = shown.map((r) => psRow(r, now, !args['no-trunc']));
    if (args.size) {
      const [{ containerSize }, { humanSize }] = await Promise.all([import('../../lib/container/size.js'), import('../../lib/format/human.js')]);
      await Promise.all(
        shown.map(async (r, i) => {
          const s = await containerSize(ctx, r);
          rows[i]!.Size = `${humanSize(s.SizeRw)} (virtual ${humanSize(s.SizeRootFs)})`;
        }),
      );
    }
    await printListing(args, rows, {
      id: (r) => r.ID,
      headers: PS_HEADERS,
      titles: ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(args.size ? ['SIZE'] : [])],
      cells: (r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names, ...(args.size ? [r.Size!] : [])],
    });
  },
};

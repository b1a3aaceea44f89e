/** racker stats [--no-stream] [--format] [CONTAINER…]: live resource usage, docker's table. */
import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

type Args = GlobalArgs & { containers?: string[]; all?: boolean; 'no-stream'?: boolean; format?: string; 'no-trunc'?: boolean };

export const statsCommand: CommandModule<object, Args> = {
  command: 'stats [containers..]',
  describe: 'Display a live stream of container(s) resource usage statistics',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
      .option('no-stream', { type: 'boolean', describe: 'Disable streaming stats and only pull the first result' })
      .option('no-trunc', { type: 'boolean', describe: 'Do not truncate output' })
      .option('format', { type: 'string', describe: "json, or a Go template: 'table {{.Name}}\\t{{.CPUPerc}}'" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ findContainer, visibleContainers, liveState, readContainer }, stats, { renderRows }, { setTimeout: sleep }] = await Promise.all([
      import('../../lib/container/record.js'),
      import('../../lib/container/stats.js'),
      import('../../lib/format/template.js'),
      import('node:timers/promises'),
    ]);
    const named = args.containers ?? [];
    // Named containers are looked up once (an unknown one is an error, as docker's); otherwise every running one, each round.
    const fixed = named.length ? await Promise.all(named.map(async (n) => ({ shownAs: n, id: (await findContainer(ctx, n)).id }))) : undefined;
    const targets = async () =>
      fixed ??
      (await visibleContainers(ctx))
        .filter((r) => args.all || liveState(r).status === 'running')
        .sort((a, b) => b.created.localeCompare(a.created))
        .map((r) => ({ shownAs: r.id.slice(0, 12), id: r.id }));
    const format = args.format === undefined || args.format === 'table' ? stats.STATS_DEFAULT_FORMAT : args.format === 'json' ? '{{json .}}' : args.format;
    const previous = new Map<string, ReturnType<typeof stats.sampleContainer>>();
    const round = async (): Promise<string> => {
      const rows = [];
      for (const t of await targets()) {
        const record = await readContainer(ctx.paths, t.id);
        if (!record) continue;
        const raw = stats.sampleContainer(record, ctx.clock());
        const json = stats.statsJson(record, raw, previous.get(t.id), stats.hostMemory());
        previous.set(t.id, raw);
        const row = stats.statsRow(t.shownAs, json as unknown as Parameters<typeof stats.statsRow>[1]);
        rows.push(args['no-trunc'] ? { ...row, ID: record.id } : row);
      }
      return renderRows(format, rows as never, stats.STATS_HEADERS);
    };
    if (args['no-stream']) {
      // Two samples a second apart, as dockerd's stream=false: CPU % needs a difference.
      await round();
      await sleep(1000);
      process.stdout.write(await round());
      return;
    }
    const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
    await round();
    for (;;) {
      await sleep(1000);
      process.stdout.write(clear + (await round()));
    }
  },
};

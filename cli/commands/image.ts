/**
 * racker image prune: the one image verb without a top-level form. The other `image VERB`
 * forms are mapped onto top-level verbs before parsing (cli/management.ts).
 */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface PruneArgs extends GlobalArgs {
  all?: boolean;
  force?: boolean;
  filter?: string[];
}

const pruneCommand: CommandModule<object, PruneArgs> = {
  command: 'prune',
  describe: 'Remove unused images',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all images not used by a container, not just dangling ones' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })
      .option('filter', { type: 'string', array: true, describe: "Filter: until=DURATION|TIME, label=KEY[=VALUE], label!=KEY[=VALUE]" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    if (!args.force) {
      if (!process.stdin.isTTY) throw new UsageError('racker image prune asks for confirmation and stdin is not a terminal: use -f');
      const warning = args.all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`${warning}\nAre you sure you want to continue? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const { parsePruneFilters, pruneImages } = await import('../../lib/image/prune.js');
    const entries = (args.filter ?? []).map((f): [string, string[]] => {
      const at = f.indexOf('=');
      if (at < 1) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
      return [f.slice(0, at), [f.slice(at + 1)]];
    });
    const result = await pruneImages(ctx, { all: Boolean(args.all), filter: parsePruneFilters(entries, ctx.clock()) });
    const { humanSize } = await import('../../lib/format/human.js');
    if (result.deleted.length) {
      out('Deleted Images:');
      for (const d of result.deleted) out(d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`);
      process.stdout.write('\n');
    }
    out(`Total reclaimed space: ${humanSize(result.spaceReclaimed)}`);
  },
};

export const imageCommand: CommandModule<object, GlobalArgs> = {
  command: 'image',
  describe: 'Manage images: ls, rm, pull, tag, inspect, save, load, history, prune, import, build',
  builder: (y) => y.command(pruneCommand).demandCommand(1, 'racker image needs a command; see racker --help'),
  handler: () => {},
};

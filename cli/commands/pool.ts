/** racker pool create/ls/rm: warm machines booted ahead of runs (work in lib/pool/; see doc/warm-pool.md). */
import type { CommandModule } from 'yargs';
import { contextFor, missingArguments, out, type GlobalArgs } from '../common.js';
import { printListing } from '../listing.js';

type CreateArgs = GlobalArgs & { image?: string; size: number; network: string; 'no-wait'?: boolean; 'boot-timeout': number };

const createCommand: CommandModule<object, CreateArgs> = {
  command: 'create [image]',
  describe: 'Keep SIZE machines of a systemd image booted, each used once by a `run --rm` (or a postroj probe with --warm)',
  builder: (y) =>
    y
      .positional('image', { type: 'string' })
      .option('size', { type: 'number', default: 1, describe: 'How many machines to keep ready (creating an existing pool again changes its size)' })
      .option('network', { type: 'string', default: 'bridge', describe: "The machines' network: bridge, none (postroj's probes) or host; a run must ask for the same" })
      .option('no-wait', { type: 'boolean', describe: 'Return at once; the machines boot in the background' })
      .option('boot-timeout', { type: 'number', default: 60, describe: 'Seconds to wait for each machine to boot' }),
  handler: async (args) => {
    if (!args.image) throw missingArguments('racker', 'pool create', 1);
    const ctx = contextFor(args);
    const { createPool } = await import('../../lib/pool/manage.js');
    const pool = await createPool(ctx, {
      image: args.image,
      size: args.size,
      network: args.network,
      noWait: args['no-wait'],
      bootTimeoutSeconds: args['boot-timeout'],
      status: (l) => process.stderr.write(`${l}\n`),
    });
    out(pool.image);
  },
};

const lsCommand: CommandModule<object, GlobalArgs & { quiet?: boolean; format?: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List pools: their size and how many machines are ready, booting, in use',
  builder: (y) => y.option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display the images' }).option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Image}} {{.Ready}}'" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { listPoolRows } = await import('../../lib/pool/manage.js');
    const rows = (await listPoolRows(ctx)).map((r) => ({ Image: r.pool.image, Network: r.pool.network, Size: String(r.pool.size), Ready: String(r.ready), Booting: String(r.booting), InUse: String(r.taken) }));
    await printListing(args, rows, {
      id: (r) => r.Image,
      headers: { Image: 'IMAGE', Network: 'NETWORK', Size: 'SIZE', Ready: 'READY', Booting: 'BOOTING', InUse: 'IN USE' },
      titles: ['IMAGE', 'NETWORK', 'SIZE', 'READY', 'BOOTING', 'IN USE'],
      cells: (r) => [r.Image, r.Network, r.Size, r.Ready, r.Booting, r.InUse],
    });
  },
};

const rmCommand: CommandModule<object, GlobalArgs & { image?: string; network?: string }> = {
  command: 'rm [image]',
  aliases: ['remove'],
  describe: "Remove an image's pools and their idle machines (machines in use end with their runs)",
  builder: (y) => y.positional('image', { type: 'string' }).option('network', { type: 'string', describe: 'Only the pool on this network' }),
  handler: async (args) => {
    if (!args.image) throw missingArguments('racker', 'pool rm', 1);
    const ctx = contextFor(args);
    const { removePools } = await import('../../lib/pool/manage.js');
    await removePools(ctx, args.image, args.network);
    out(args.image);
  },
};

export const poolCommand: CommandModule<object, GlobalArgs> = {
  command: 'pool',
  describe: 'Manage pools of warm machines (create, ls, rm)',
  builder: (y) => y.command(createCommand).command(lsCommand).command(rmCommand).demandCommand(1, 'racker pool needs a command; see racker pool --help'),
  handler: () => undefined,
};

/** The background refill a warm run starts: not for users, so hidden from help. */
export const poolRefillCommand: CommandModule<object, GlobalArgs & { id: string }> = {
  command: '__pool-refill <id>',
  describe: false,
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { refillPool } = await import('../../lib/pool/refill.js');
    await refillPool(ctx, args.id);
  },
};

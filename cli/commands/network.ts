/** racker network create/ls/inspect/rm/prune: docker's network verbs (work in lib/net/). */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { labelMap } from '../../lib/format/labels.js';
import { contextFor, forEachName, missingArguments, out, repeated, type GlobalArgs } from '../common.js';
import { printInspected, printListing } from '../listing.js';

const LS_HEADERS = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', CreatedAt: 'CREATED AT', Internal: 'INTERNAL', Labels: 'LABELS' };

type CreateArgs = GlobalArgs & { name?: string; subnet?: string; gateway?: string; internal?: boolean; label?: string | string[]; driver?: string };

const createCommand: CommandModule<object, CreateArgs> = {
  command: 'create [name]',
  describe: 'Create a bridge network',
  builder: (y) =>
    y
      .positional('name', { type: 'string' })
      .option('subnet', { type: 'string', describe: 'IPv4 subnet in CIDR form (default: a free 10.90.N.0/24)' })
      .option('gateway', { type: 'string', describe: "The bridge's address (default: the subnet's first)" })
      .option('internal', { type: 'boolean', describe: 'No route out of the network' })
      .option('label', { type: 'string', describe: 'Set metadata on the network (KEY=VALUE; repeat for more)' })
      .option('driver', { alias: 'd', type: 'string', describe: 'bridge (the only one racker has)' }),
  handler: async (args) => {
    if (!args.name) throw missingArguments('racker', 'network create', 1);
    const ctx = contextFor(args);
    const { createBridgeNetwork } = await import('../../lib/net/networks.js');
    const network = await createBridgeNetwork(ctx, {
      name: args.name,
      ...(args.subnet !== undefined ? { subnet: args.subnet } : {}),
      ...(args.gateway !== undefined ? { gateway: args.gateway } : {}),
      internal: args.internal,
      labels: labelMap(repeated(args.label)),
      ...(args.driver !== undefined ? { driver: args.driver } : {}),
    });
    out(network.id);
  },
};

type LsArgs = GlobalArgs & { quiet?: boolean; format?: string; filter?: string | string[]; 'no-trunc'?: boolean };

const lsCommand: CommandModule<object, LsArgs> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List networks',
  builder: (y) =>
    y
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display network IDs' })
      .option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Name}}'" })
      .option('filter', { alias: 'f', type: 'string', describe: 'Filter: name=…, id=…, driver=…, label=…, type=custom|builtin (repeat for more)' })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate the output" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { listNetworks } = await import('../../lib/net/store.js');
    const { networkMatches } = await import('../../lib/net/networks.js');
    const filters = repeated(args.filter);
    const networks = (await listNetworks(ctx.paths)).filter((n) => networkMatches(n, filters));
    const rows = networks.map((n) => ({
      ID: args['no-trunc'] ? n.id : n.id.slice(0, 12),
      Name: n.name,
      Driver: n.driver,
      Scope: 'local',
      CreatedAt: n.created,
      Internal: String(n.internal),
      IPv6: 'false',
      Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(','),
    }));
    await printListing(args, rows, { id: (r) => r.ID, headers: LS_HEADERS, titles: ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], cells: (r) => [r.ID, r.Name, r.Driver, r.Scope] });
  },
};

const inspectCommand: CommandModule<object, GlobalArgs & { networks?: string[]; format?: string }> = {
  command: 'inspect [networks..]',
  describe: 'Display detailed information on one or more networks',
  builder: (y) => y.positional('networks', { type: 'string', array: true }).option('format', { alias: 'f', type: 'string', describe: "A Go template: '{{.IPAM.Config}}'" }),
  handler: async (args) => {
    const names = args.networks ?? [];
    if (!names.length) throw missingArguments('racker', 'network inspect', 1);
    const ctx = contextFor(args);
    const { inspectNetworks } = await import('../../lib/net/networks.js');
    await printInspected(args.format, await inspectNetworks(ctx, names));
  },
};

const rmCommand: CommandModule<object, GlobalArgs & { networks?: string[] }> = {
  command: 'rm [networks..]',
  aliases: ['remove'],
  describe: 'Remove one or more networks',
  builder: (y) => y.positional('networks', { type: 'string', array: true }),
  handler: async (args) => {
    const names = args.networks ?? [];
    if (!names.length) throw missingArguments('racker', 'network rm', 1);
    const ctx = contextFor(args);
    const { removeNetwork } = await import('../../lib/net/networks.js');
    await forEachName(names, async (name) => {
      await removeNetwork(ctx, name);
      out(name);
    });
  },
};

const pruneCommand: CommandModule<object, GlobalArgs & { force?: boolean }> = {
  command: 'prune',
  describe: 'Remove all networks no container uses',
  builder: (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
  handler: async (args) => {
    if (!args.force && !process.stdin.isTTY) {
      throw new UsageError('racker network prune asks for confirmation and stdin is not a terminal: use -f');
    }
    const ctx = contextFor(args);
    if (!args.force) {
      process.stderr.write('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((resolve) => process.stdin.once('data', (d) => resolve(String(d))));
      process.stdin.destroy();
      if (answer.trim().toLowerCase() !== 'y') return;
    }
    const { pruneNetworks } = await import('../../lib/net/networks.js');
    const removed = await pruneNetworks(ctx);
    if (removed.length) out(['Deleted Networks:', ...removed.map((n) => n.name), ''].join('\n'));
  },
};

type ConnectArgs = GlobalArgs & { network?: string; container?: string; alias?: string | string[]; ip?: string };

const connectCommand: CommandModule<object, ConnectArgs> = {
  command: 'connect [network] [container]',
  describe: 'Connect a container to a network (a running one at once)',
  builder: (y) =>
    y
      .positional('network', { type: 'string' })
      .positional('container', { type: 'string' })
      .option('alias', { type: 'string', describe: 'Another name for the container on the network (repeat for more)' })
      .option('ip', { type: 'string', describe: 'IPv4 address on the network' }),
  handler: async (args) => {
    if (!args.network || !args.container) throw missingArguments('racker', 'network connect', 2);
    const ctx = contextFor(args);
    const { connectContainer } = await import('../../lib/net/connect.js');
    const aliases = repeated(args.alias);
    await connectContainer(ctx, args.container, args.network, { aliases, ...(args.ip ? { ip: args.ip } : {}) });
  },
};

const disconnectCommand: CommandModule<object, GlobalArgs & { network?: string; container?: string; force?: boolean }> = {
  command: 'disconnect [network] [container]',
  describe: 'Disconnect a container from a network it was connected to',
  builder: (y) => y.positional('network', { type: 'string' }).positional('container', { type: 'string' }).option('force', { alias: 'f', type: 'boolean', describe: 'Accepted for docker compatibility' }),
  handler: async (args) => {
    if (!args.network || !args.container) throw missingArguments('racker', 'network disconnect', 2);
    const ctx = contextFor(args);
    const { disconnectContainer } = await import('../../lib/net/connect.js');
    await disconnectContainer(ctx, args.container, args.network);
  },
};

export const networkCommand: CommandModule<object, GlobalArgs> = {
  command: 'network',
  describe: 'Manage networks (create, ls, inspect, rm, prune, connect, disconnect)',
  builder: (y) =>
    y
      .command(createCommand)
      .command(lsCommand)
      .command(inspectCommand)
      .command(rmCommand)
      .command(pruneCommand)
      .command(connectCommand)
      .command(disconnectCommand)
      .demandCommand(1, 'racker network needs a command; see racker network --help'),
  handler: () => undefined,
};

/** racker volume create/ls/inspect/rm/prune: docker's volume verbs (work in lib/volume/). */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { labelMap } from '../../lib/format/labels.js';
import { contextFor, forEachName, missingArguments, out, repeated, type GlobalArgs } from '../common.js';
import { printInspected, printListing } from '../listing.js';

const createCommand: CommandModule<object, GlobalArgs & { name?: string; label?: string | string[]; driver?: string }> = {
  command: 'create [name]',
  describe: 'Create a volume (a random name when none is given)',
  builder: (y) =>
    y
      .positional('name', { type: 'string' })
      .option('label', { type: 'string', describe: 'Set metadata on the volume (KEY=VALUE; repeat for more)' })
      .option('driver', { alias: 'd', type: 'string', describe: 'local (the only one racker has)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { createVolume } = await import('../../lib/volume/store.js');
    const labels = labelMap(repeated(args.label));
    out((await createVolume(ctx, { ...(args.name ? { name: args.name } : {}), labels, ...(args.driver ? { driver: args.driver } : {}) })).Name);
  },
};

const lsCommand: CommandModule<object, GlobalArgs & { quiet?: boolean; format?: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List volumes',
  builder: (y) => y.option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display volume names' }).option('format', { type: 'string', describe: "table, json, or a Go template: '{{.Name}}'" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { listVolumes } = await import('../../lib/volume/store.js');
    const rows = (await listVolumes(ctx.paths)).map((v) => ({ Driver: v.Driver, Name: v.Name, Mountpoint: v.Mountpoint, Scope: v.Scope, Labels: Object.entries(v.Labels).map(([k, x]) => `${k}=${x}`).join(',') }));
    await printListing(args, rows, {
      id: (r) => r.Name,
      headers: { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Scope: 'SCOPE', Labels: 'LABELS' },
      titles: ['DRIVER', 'VOLUME NAME'],
      cells: (r) => [r.Driver, r.Name],
    });
  },
};

const inspectCommand: CommandModule<object, GlobalArgs & { volumes?: string[]; format?: string }> = {
  command: 'inspect [volumes..]',
  describe: 'Display detailed information on one or more volumes',
  builder: (y) => y.positional('volumes', { type: 'string', array: true }).option('format', { alias: 'f', type: 'string', describe: "A Go template: '{{.Mountpoint}}'" }),
  handler: async (args) => {
    const names = args.volumes ?? [];
    if (!names.length) throw missingArguments('racker', 'volume inspect', 1);
    const ctx = contextFor(args);
    const { findVolume } = await import('../../lib/volume/store.js');
    await printInspected(args.format, await Promise.all(names.map((n) => findVolume(ctx.paths, n))));
  },
};

const rmCommand: CommandModule<object, GlobalArgs & { volumes?: string[]; force?: boolean }> = {
  command: 'rm [volumes..]',
  aliases: ['remove'],
  describe: 'Remove one or more volumes (not one a container uses, as docker)',
  builder: (y) => y.positional('volumes', { type: 'string', array: true }).option('force', { alias: 'f', type: 'boolean', describe: 'No error for a volume that is not there' }),
  handler: async (args) => {
    const names = args.volumes ?? [];
    if (!names.length) throw missingArguments('racker', 'volume rm', 1);
    const ctx = contextFor(args);
    const { removeVolume } = await import('../../lib/volume/store.js');
    const { listContainers } = await import('../../lib/container/record.js');
    const containers = await listContainers(ctx.paths);
    await forEachName(names, async (name) => {
      await removeVolume(ctx, name, containers, args.force);
      out(name);
    });
  },
};

const pruneCommand: CommandModule<object, GlobalArgs & { force?: boolean; all?: boolean }> = {
  command: 'prune',
  describe: 'Remove anonymous volumes no container uses (-a: named ones too)',
  builder: (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }).option('all', { alias: 'a', type: 'boolean', describe: 'Named volumes too' }),
  handler: async (args) => {
    if (!args.force) throw new UsageError('racker volume prune removes data: confirm with -f');
    const ctx = contextFor(args);
    const { pruneVolumes } = await import('../../lib/volume/store.js');
    const { listContainers } = await import('../../lib/container/record.js');
    const removed = await pruneVolumes(ctx, await listContainers(ctx.paths), Boolean(args.all));
    if (removed.length) out(['Deleted Volumes:', ...removed, ''].join('\n'));
  },
};

export const volumeCommand: CommandModule<object, GlobalArgs> = {
  command: 'volume',
  describe: 'Manage volumes (create, ls, inspect, rm, prune)',
  builder: (y) => y.command(createCommand).command(lsCommand).command(inspectCommand).command(rmCommand).command(pruneCommand).demandCommand(1, 'racker volume needs a command; see racker volume --help'),
  handler: () => undefined,
};

/** racker cp: copy files between a container and the local file system, as docker cp. */
import type { CommandModule } from 'yargs';
import { contextFor, missingArguments, type GlobalArgs } from '../common.js';

interface CpArgs extends GlobalArgs {
  src?: string;
  dest?: string;
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

export const cpCommand: CommandModule<object, CpArgs> = {
  command: 'cp [src] [dest]',
  describe: 'Copy files/folders between a container and the local filesystem: racker cp CONTAINER:SRC DEST | racker cp SRC CONTAINER:DEST',
  builder: (y) =>
    y
      .usage(
        'Usage: racker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       racker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n' +
          'Use "-" as the source to read a tar archive from stdin and extract it to a directory in the container;\n' +
          'use "-" as the destination to write a tar archive of the container\'s path to stdout.',
      )
      .positional('src', { type: 'string' })
      .positional('dest', { type: 'string' })
      .option('archive', { alias: 'a', type: 'boolean', describe: 'Archive mode (copy all uid/gid information)' })
      .option('follow-link', { alias: 'L', type: 'boolean', describe: 'Always follow symbol link in SRC_PATH' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output during copy (racker prints none)' }),
  handler: async (args) => {
    if (args.src === undefined || args.dest === undefined) throw missingArguments('racker', 'cp', 2);
    // yargs reads a lone '-' as an empty string: it is docker's stdin/stdout.
    const dash = (v: string) => (v === '' && process.argv.includes('-') ? '-' : v);
    const ctx = contextFor(args);
    const { cp } = await import('../../lib/container/archive/cp.js');
    await cp(ctx, dash(String(args.src)), dash(String(args.dest)), { archive: args.archive === true, followLink: args.followLink === true });
  },
};

/** racker cp's host half for a member, run as them by the service (lib/container/archive/cp-local.ts). */
export const cpLocalCommand: CommandModule<object, GlobalArgs & { op: string; path: string; name?: string; follow?: boolean }> = {
  command: '__cp-local <op> <path> [name]',
  describe: false,
  builder: (y) =>
    y
      .positional('op', { type: 'string', choices: ['stat', 'pack', 'unpack'], demandOption: true })
      .positional('path', { type: 'string', demandOption: true })
      .positional('name', { type: 'string' })
      .option('follow', { type: 'boolean' }),
  handler: async (args) => {
    const local = await import('../../lib/container/archive/cp-local.js');
    if (args.op === 'stat') process.stdout.write(`${JSON.stringify(local.localStat(args.path, args.follow === true))}\n`);
    else if (args.op === 'pack') await local.packLocal(args.path, args.name ?? '.', args.follow === true, process.stdout);
    else await local.unpackLocal(args.path, process.stdin);
  },
};

import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  image: string;
  force?: boolean;
  quiet?: boolean;
  'tls-verify'?: boolean;
  source?: 'auto' | 'registry' | 'bootstrap';
  'all-tags'?: boolean;
  platform?: string;
}

export const pullCommand: CommandModule<object, Args> = {
  command: 'pull <image>',
  describe: 'Download an image or a curated label (debian-bookworm, …) from a registry',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'NAME[:TAG|@DIGEST] or a label (see postroj list-images)' })
      .option('force', { type: 'boolean', describe: 'Download and unpack again even when up to date' })
      .option('all-tags', { alias: 'a', type: 'boolean', describe: 'Download all tagged images in the repository' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only the image reference' })
      .option('tls-verify', { type: 'boolean', describe: 'Verify TLS certificates (default: true; loopback registries use plain HTTP)' })
      .option('platform', { type: 'string', describe: 'Set platform if the image is multi-platform (e.g. linux/arm64, linux/arm/v7)' })
      .option('source', { choices: ['auto', 'registry', 'bootstrap'] as const, describe: 'For Debian-family labels: where the image comes from' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { pullImageByName } = await import('../../lib/image/pull-any.js');
    const { progress } = await import('../progress.js');
    // Everything on stdout, as docker's pull: the status lines, the layer lines and (on a
    // terminal) the bars. (`run`'s implicit pull keeps them on stderr: its stdout is the command's.)
    const { parsePlatform } = await import('../../lib/image/platform.js');
    const platform = args.platform !== undefined ? parsePlatform(args.platform) : undefined;
    const live = args.quiet ? undefined : progress(process.stdout);
    let result;
    try {
      const opts = {
        force: args.force,
        tlsVerify: args['tls-verify'],
        source: args.source,
        ...(platform ? { platform } : {}),
        status: live
          ? (line: string) => {
              live.done();
              out(line);
            }
          : undefined,
        progress: live?.print,
        meter: live?.meter,
      };
      if (args['all-tags']) {
        const { pullAllTags } = await import('../../lib/image/pull-all.js');
        const repository = await pullAllTags(ctx, args.image, opts);
        live?.done();
        return out(repository);
      }
      result = await pullImageByName(ctx, args.image, opts);
    } finally {
      live?.done();
    }
    const { keyName } = await import('../../lib/image/names.js');
    out(keyName(result.key));
  },
};

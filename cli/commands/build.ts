import type { CommandModule } from 'yargs';
import { contextFor, out, repeated, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  context?: string;
  tag?: string | string[];
  file?: string;
  'build-arg'?: string | string[];
  'no-cache'?: boolean;
  quiet?: boolean;
  pull?: boolean;
  target?: string;
  mkosi?: string;
}

export const buildCommand: CommandModule<object, Args> = {
  command: 'build [context]',
  describe: 'Build an image from a Containerfile/Dockerfile (with buildah) or an mkosi configuration',
  builder: (y) =>
    y
      .positional('context', { type: 'string', describe: 'The build context directory (a Containerfile build needs one)' })
      .option('tag', { alias: 't', type: 'string', describe: 'Name the image REPOSITORY[:TAG] (repeatable)' })
      .option('file', { alias: 'f', type: 'string', describe: 'The Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile)' })
      .option('build-arg', { type: 'string', describe: 'Set a build-time variable NAME=VALUE (NAME alone: from the environment; repeatable)' })
      .option('no-cache', { type: 'boolean', describe: 'Do not use cached layers of earlier builds' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "Print only the image ID, not the builder's output" })
      .option('pull', { type: 'boolean', describe: 'Pull the base images even when they are in the store' })
      .option('target', { type: 'string', describe: 'Build this stage of a multi-stage Containerfile' })
      .option('mkosi', { type: 'string', describe: 'Build a bootable Debian system with mkosi from the configuration in DIR instead' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { UsageError } = await import('../../lib/errors.js');
    const { withInterrupt } = await import('../interrupt.js');
    const tags = repeated(args.tag);
    const show = args.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    if (args.mkosi !== undefined) {
      if (args.context !== undefined || args.file !== undefined || args['build-arg'] !== undefined || args.target !== undefined) {
        throw new UsageError('--mkosi takes its configuration directory only: no context, -f, --build-arg or --target');
      }
      const { mkosiBuild } = await import('../../lib/image/mkosi-build.js');
      const { value } = await withInterrupt((signal) => mkosiBuild(ctx, { dir: args.mkosi!, tags, signal, ...(show ? { output: show } : {}) }));
      out(value);
      return;
    }
    if (args.context === undefined) throw new UsageError('racker build needs a context directory (e.g. racker build -t NAME .)');
    const { buildImage } = await import('../../lib/image/build.js');
    const { value } = await withInterrupt((signal) =>
      buildImage(ctx, {
        context: args.context!,
        ...(args.file !== undefined ? { file: args.file } : {}),
        tags,
        buildArgs: repeated(args['build-arg']),
        noCache: Boolean(args['no-cache']),
        quiet: Boolean(args.quiet),
        pull: Boolean(args.pull),
        ...(args.target !== undefined ? { target: args.target } : {}),
        signal,
        ...(show ? { output: show, status: show } : {}),
      }),
    );
    out(value);
  },
};

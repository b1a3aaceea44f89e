import type { CommandModule } from 'yargs';
import { contextFor, out, repeated, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  container: string;
  reference?: string;
  message?: string;
  author?: string;
  change?: string | string[];
  pause?: boolean;
}

export const commitCommand: CommandModule<object, Args> = {
  command: 'commit <container> [reference]',
  describe: "Create a new image from a container's changes",
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .positional('reference', { type: 'string', describe: 'REPOSITORY[:TAG] for the new image' })
      .option('message', { alias: 'm', type: 'string', describe: 'Commit message' })
      .option('author', { alias: 'a', type: 'string', describe: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' })
      .option('change', { alias: 'c', type: 'string', describe: 'Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, WORKDIR (repeatable)' })
      .option('pause', { alias: 'p', type: 'boolean', default: true, describe: 'Accepted for docker; racker commits a running container without pausing it' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { commitContainer } = await import('../../lib/image/commit.js');
    const id = await commitContainer(ctx, args.container, {
      ...(args.reference ? { reference: args.reference } : {}),
      ...(args.message ? { message: args.message } : {}),
      ...(args.author ? { author: args.author } : {}),
      changes: repeated(args.change),
    });
    out(id);
  },
};

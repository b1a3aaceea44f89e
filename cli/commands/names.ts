/** tag and rename: a new name for an image or a container. */
import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

export const tagCommand: CommandModule<object, GlobalArgs & { source: string; target: string }> = {
  command: 'tag <source> <target>',
  describe: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  builder: (y) => y.positional('source', { type: 'string', demandOption: true }).positional('target', { type: 'string', demandOption: true }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { tagImage } = await import('../../lib/image/tag.js');
    await tagImage(ctx.paths, args.source, args.target);
  },
};

export const renameCommand: CommandModule<object, GlobalArgs & { container: string; name: string }> = {
  command: 'rename <container> <name>',
  describe: 'Rename a container',
  builder: (y) => y.positional('container', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ findContainer }, { renameContainer }] = await Promise.all([import('../../lib/container/record.js'), import('../../lib/container/rename.js')]);
    await renameContainer(ctx, await findContainer(ctx, args.container), args.name);
  },
};

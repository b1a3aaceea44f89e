import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  input?: string;
  quiet?: boolean;
}

export const loadCommand: CommandModule<object, Args> = {
  command: 'load',
  describe: 'Load images from a tar archive (docker save or OCI archive) on stdin or a file',
  builder: (y) =>
    y
      .option('input', { alias: 'i', type: 'string', describe: 'Read from a tar archive file instead of stdin' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the load output' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { createReadStream } = await import('node:fs');
    const { NotFoundError, UsageError } = await import('../../lib/errors.js');
    if (!args.input && process.stdin.isTTY) throw new UsageError('requested load from stdin, but stdin is empty');
    let input: NodeJS.ReadableStream = process.stdin;
    if (args.input) {
      const { access } = await import('node:fs/promises');
      await access(args.input).catch(() => {
        throw new NotFoundError(`open ${args.input}: no such file or directory`);
      });
      input = createReadStream(args.input);
    }
    const { loadImages, loadedLines } = await import('../../lib/image/load.js');
    const loaded = await loadImages(ctx, input as import('node:stream').Readable);
    // docker prints these lines even with -q (quiet only hides progress); so does racker.
    for (const line of loadedLines(loaded)) out(line);
  },
};

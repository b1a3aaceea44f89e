/** Where `racker save` writes: a file (made whole, then renamed into place) or stdout. */
import { createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { isMember } from '../access/caller.js';
import type { Context } from '../context.js';
import { saveImages } from './save.js';

export async function saveToFileOrStdout(ctx: Context, names: readonly string[], output: string | undefined): Promise<void> {
  if (!output) {
    await saveImages(ctx, names, process.stdout);
    return;
  }
  // A member's file is written by a process of theirs, with their rights (access/as-caller.ts).
  if (isMember(ctx.caller)) {
    const { writeAsCaller } = await import('../access/as-caller.js');
    return writeAsCaller(ctx.caller, path.resolve(output), (out) => saveImages(ctx, names, out));
  }
  const partial = path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.racker-${process.pid}`);
  const file = createWriteStream(partial, { mode: 0o644 });
  try {
    await saveImages(ctx, names, file);
    file.end();
    await once(file, 'finish');
    await fs.rename(partial, output);
  } catch (err) {
    file.destroy();
    await fs.rm(partial, { force: true });
    throw err;
  }
}

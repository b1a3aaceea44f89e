/**
 * racker export: the tar of export to stdout, or to a file. The file is written next to its
 * final name and renamed into place, so a failed export leaves no half archive under it.
 */
import { randomBytes } from '../../startup/builtins.js';
import { once } from 'node:events';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { isMember } from '../../access/caller.js';
import type { Context } from '../../context.js';
import { drained } from '../../fs/drained.js';
import { RackerError } from '../../errors.js';
import type { ContainerRecord } from '../record.js';
import { exportContainer } from './archive.js';

async function writeAll(ctx: Context, record: ContainerRecord, out: NodeJS.WritableStream): Promise<void> {
  let failed: Error | undefined;
  out.on('error', (err: Error) => (failed = err));
  await exportContainer(ctx, record, () => undefined, async (chunk) => {
    if (failed) throw failed;
    // An error may come during write() itself (a reader already gone): then no drain ever comes,
    // and waiting for one left nothing in the event loop: the process ended with 0, the archive cut short.
    // (A stream destroyed before the first byte, which says nothing more, drained() refuses itself.)
    if (!out.write(chunk) && !failed) await drained(out as NodeJS.EventEmitter);
    if (failed) throw failed;
    return true;
  });
}

export async function exportToFile(ctx: Context, record: ContainerRecord, file: string | undefined): Promise<void> {
  if (file === undefined) return writeAll(ctx, record, process.stdout);
  // A member's file is written by a process of theirs, with their rights (access/as-caller.ts).
  if (isMember(ctx.caller)) {
    const { writeAsCaller } = await import('../../access/as-caller.js');
    return writeAsCaller(ctx.caller, path.resolve(file), (out) => writeAll(ctx, record, out)).catch((err: Error) => {
      throw err instanceof RackerError ? err : new RackerError(err.message, { exitCode: 1 });
    });
  }
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.racker-${randomBytes(4).toString('hex')}`);
  const out = createWriteStream(tmp, { mode: 0o600 });
  try {
    await once(out, 'open');
    await writeAll(ctx, record, out);
    out.end();
    await once(out, 'finish');
    await fs.chmod(tmp, 0o644);
    await fs.rename(tmp, file);
  } catch (err) {
    out.destroy();
    await fs.rm(tmp, { force: true });
    if (err instanceof RackerError) throw err;
    throw new RackerError(`cannot write ${file}: ${(err as Error).message}`, { exitCode: 1 });
  }
}

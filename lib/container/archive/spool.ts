/**
 * A tar that arrives as a stream (an HTTP body, stdin) kept in a scratch file first: the
 * extraction checks the whole archive before it writes anything (unpack.ts), which needs
 * it twice. The scratch directory carries racker's PID, so a killed call's leftover is
 * removed like any other (lib/image/scratch.ts).
 */
import { randomBytes } from '../../startup/builtins.js';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Paths } from '../../state/paths.js';

export async function withSpooled<T>(paths: Paths, input: Readable | NodeJS.ReadableStream, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = path.join(paths.tmp, `archive-${process.pid}-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const file = path.join(dir, 'body.tar');
    await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    return await fn(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Streaming subprocesses: a program whose stdout is consumed as a stream (decompressors
 * feeding an extractor) rather than buffered like run.ts does. Kept in lib/exec/ next to
 * run.ts so execa is still only imported here.
 */
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { CommandError, MissingToolError } from '../errors.js';
import type { Logger } from '../log.js';
import { TOOL_PACKAGES } from './run.js';

export interface StreamOptions {
  /** Fed to the program's stdin; without it stdin is /dev/null. */
  stdin?: Readable;
  log?: Logger;
}

export interface SpawnedStream {
  /** The program's stdout. The caller must consume it, or the program blocks. */
  stdout: Readable;
  /**
   * Settles when the program has exited: rejects with CommandError (non-zero exit, signal)
   * or MissingToolError. A rejection handler is attached, so ignoring `done` after kill()
   * does not produce an unhandled rejection.
   */
  done: Promise<void>;
  /** Stop the program (e.g. its consumer failed). */
  kill(): void;
}

export function spawnStream(argv: readonly string[], opts: StreamOptions = {}): SpawnedStream {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnStream: empty argv');
  const started = performance.now();
  const child = execa(file, args, {
    // execa only takes Node streams with a file descriptor here; ours is piped in below.
    stdin: opts.stdin ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    // stdout is streamed to the caller; only stderr is kept for the error message.
    buffer: { stdout: false, stderr: true },
    reject: false,
    stripFinalNewline: false,
  });
  const done = child.then((r) => {
    opts.log?.debug(`${argv.join(' ')} → ${r.exitCode ?? r.signal} in ${Math.round(performance.now() - started)} ms`);
    if ((r as { code?: string }).code === 'ENOENT') throw new MissingToolError(file, TOOL_PACKAGES[file] ?? file);
    if (r.failed) {
      const stderr = String(r.stderr ?? '');
      throw new CommandError([...argv], r.exitCode, r.signal ?? undefined, stderr.trim() ? stderr : (r.shortMessage ?? ''));
    }
  });
  done.catch(() => {});
  // With 'pipe' execa always creates these streams; the checks are for the type checker.
  if (!child.stdout) throw new Error('spawnStream: no stdout pipe');
  if (opts.stdin) {
    if (!child.stdin) throw new Error('spawnStream: no stdin pipe');
    // A program that exits early (corrupt input) makes writes fail with EPIPE; its exit
    // status is the error worth reporting, and `done` carries it.
    child.stdin.on('error', () => {});
    opts.stdin.pipe(child.stdin);
  }
  return {
    stdout: child.stdout,
    done,
    kill: () => {
      child.kill();
    },
  };
}

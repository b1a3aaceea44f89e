/**
 * The stdin of a container started with -i while nobody was attached (`run -di`, or an
 * Engine API start without an attach): a FIFO its command holds open for reading and writing,
 * so it waits for input and never sees end of file. A later attach writes into it, as
 * `docker attach` reaches a running container's open stdin (docker keeps it open too unless
 * StdinOnce).
 */
import { constants, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Paths } from '../state/paths.js';

export function stdinFifo(paths: Paths, id: string): string {
  return path.join(paths.container(id), 'stdin.fifo');
}

/** A writer into the running container's open stdin; undefined when it has none (started attached, or ended). */
export function openStdinWriter(paths: Paths, id: string): net.Socket | undefined {
  let fd: number;
  try {
    // Non-blocking: with no reader left (the container ended) this fails at once instead of
    // waiting for one; a socket over the descriptor then writes without blocking a thread.
    fd = openSync(stdinFifo(paths, id), constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const writer = new net.Socket({ fd, readable: false, writable: true });
  writer.on('error', () => undefined);
  return writer;
}

/** Copy `input` into the container's open stdin until it ends; false when there is none. */
export function pipeToOpenStdin(paths: Paths, id: string, input: NodeJS.ReadableStream): boolean {
  const writer = openStdinWriter(paths, id);
  if (!writer) return false;
  input.pipe(writer);
  input.once('close', () => writer.end());
  return true;
}

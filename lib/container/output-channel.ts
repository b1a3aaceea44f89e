/**
 * A byte-exact live copy of a detached container's output, for an Engine API client that
 * attached before the start (`docker run`): when the service listens on the container's
 * output socket, the supervisor connects and sends stdout and stderr as docker's frames
 * ([stream, 0, 0, 0, size as big-endian uint32], then the bytes). The json-file log stays
 * the record; it is text, so it can't carry output that is not valid UTF-8.
 */
import net from 'node:net';
import path from 'node:path';
import type { Paths } from '../state/paths.js';
import type { OutputSinks } from './exec.js';

/** Short on purpose: a unix socket path has at most 107 bytes. */
export function outputSocketPath(paths: Paths, id: string): string {
  return path.join(paths.run, 'attach', `${id.slice(0, 16)}.sock`);
}

/** A reader that stopped reading: the copy is given up rather than grown without bound. */
const MAX_BUFFERED = 64 * 1024 * 1024;

export interface OutputChannel {
  sinks: Required<OutputSinks>;
  /** Flush and close (bounded: a reader that went away can't hold the supervisor). */
  close(): Promise<void>;
}

/** Connect when someone listens on the container's output socket; undefined otherwise (the usual case). */
export async function connectOutputChannel(paths: Paths, id: string): Promise<OutputChannel | undefined> {
  const socket = await new Promise<net.Socket | undefined>((resolve) => {
    const s = net.connect(outputSocketPath(paths, id));
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
  if (!socket) return undefined;
  socket.on('error', () => undefined);
  let open = true;
  const send = (stream: 1 | 2) => (chunk: Buffer) => {
    if (!open) return;
    if (socket.writableLength > MAX_BUFFERED) {
      open = false;
      socket.destroy();
      return;
    }
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(chunk.length, 4);
    socket.write(Buffer.concat([header, chunk]));
  };
  return {
    sinks: { stdout: send(1), stderr: send(2) },
    close: () =>
      new Promise<void>((resolve) => {
        if (!open || socket.destroyed) return resolve();
        open = false;
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 5000).unref();
        socket.end(() => resolve());
      }),
  };
}

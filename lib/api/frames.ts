/**
 * The Engine's stream formats. Without a TTY, stdout and stderr share one connection as
 * frames: an 8-byte header [stream, 0, 0, 0, size as big-endian uint32] and the payload
 * (stream 1 stdout, 2 stderr). With a TTY the bytes go through unframed ("raw").
 */

export type StreamId = 0 | 1 | 2;

export function frame(stream: StreamId, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * racker's own frame types on a forwarded command's connection (POST /racker/v1/cli,
 * cli-forward.ts and lib/client/forward.ts), beside the Engine's stdin/stdout/stderr.
 */
export const CLI_FRAME = { stdin: 0, stdout: 1, stderr: 2, exit: 4, stdinEnd: 5, signal: 6, resize: 7 } as const;

/** Split a multiplexed byte stream back into frames (for tests and clients); the rest is an incomplete frame. */
export function parseFrames(data: Buffer): { frames: { stream: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { stream: number; payload: Buffer }[] = [];
  let at = 0;
  while (data.length - at >= 8) {
    const size = data.readUInt32BE(at + 4);
    if (data.length - at - 8 < size) break;
    frames.push({ stream: data[at]!, payload: data.subarray(at + 8, at + 8 + size) });
    at += 8 + size;
  }
  return { frames, rest: data.subarray(at) };
}

/** The Content-Type of an attach/exec/logs stream: 1.42 named the multiplexed one. */
export function streamContentType(tty: boolean, apiVersion: string, compare: (a: string, b: string) => number): string {
  return !tty && compare(apiVersion, '1.42') >= 0 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

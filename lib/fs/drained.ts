/**
 * Wait until a stream that refused a write (write() returned false) takes more: its 'drain',
 * or its end ('error', 'close': the reader went away, and no drain will ever come). The three
 * listeners go again whichever wins: waiting once per chunk must not pile them up.
 *
 * A stream already destroyed (a child's stdin once the child exited, a writer that failed
 * before the first byte) never drains, and its 'close' may be past: waiting for one would
 * leave nothing in the event loop (the process ends with 0, its work cut short). It is a
 * reader gone, at once, with the error it ended with, if any.
 */
export function drained(out: NodeJS.EventEmitter): Promise<void> {
  const stream = out as NodeJS.EventEmitter & { destroyed?: boolean; errored?: Error | null };
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('the reader went away'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error('the reader went away'));
    out.once('drain', onDrain);
    out.once('error', onError);
    out.once('close', onClose);
  });
}

/** Writes to `out`, each waiting while it is full (drained): the `write` a tar producer takes. */
export function writeTo(out: NodeJS.WritableStream): (chunk: Buffer) => Promise<boolean> {
  return async (chunk) => {
    if (!out.write(chunk)) await drained(out as NodeJS.EventEmitter);
    return true;
  };
}

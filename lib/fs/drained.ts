/**
 * Wait until a stream that refused a write (write() returned false) takes more: its 'drain',
 * or its end ('error', 'close': the reader went away, and no drain will ever come). The three
 * listeners go again whichever wins: waiting once per chunk must not pile them up.
 */
export function drained(out: NodeJS.EventEmitter): Promise<void> {
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

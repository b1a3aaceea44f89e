import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { drained, writeTo } from '../../lib/fs/drained.js';

describe('drained', () => {
  it('resolves on drain and leaves no listener behind, however often it waits', async () => {
    const s = new PassThrough({ highWaterMark: 4 });
    const base = { drain: s.listenerCount('drain'), error: s.listenerCount('error'), close: s.listenerCount('close') };
    for (let i = 0; i < 30; i++) {
      expect(s.write(Buffer.alloc(8))).to.equal(false);
      const wait = drained(s);
      s.read();
      await wait;
    }
    expect({ drain: s.listenerCount('drain'), error: s.listenerCount('error'), close: s.listenerCount('close') }).to.deep.equal(base);
  });

  it('rejects when the stream closes or fails instead of draining', async () => {
    const closed = new PassThrough({ highWaterMark: 1 });
    closed.write('xx');
    const a = drained(closed);
    closed.destroy();
    let err = await a.then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal('the reader went away');
    const failing = new PassThrough({ highWaterMark: 1 });
    failing.write('xx');
    const b = drained(failing);
    failing.destroy(new Error('EPIPE'));
    err = await b.then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal('EPIPE');
  });

  it('refuses at once a stream already destroyed (its close is past, nothing more will come), with its error if it had one', async () => {
    // What the wait comes to within 200 ms: a hang is 'still waiting', not a test that never ends.
    const outcome = async (p: Promise<unknown>) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting'), 200)));
      const settled = p.then(() => 'drained', (e: Error) => e.message);
      try {
        return await Promise.race([settled, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    const gone = new PassThrough({ highWaterMark: 1 });
    gone.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await outcome(drained(gone))).to.equal('the reader went away');
    // A write function's wait likewise (export, cp, save write through it or drained()).
    expect(await outcome(writeTo(gone)(Buffer.alloc(8)))).to.equal('the reader went away');
    const failed = new PassThrough({ highWaterMark: 1 });
    failed.on('error', () => undefined);
    failed.destroy(new Error('EPIPE'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await outcome(drained(failed))).to.equal('EPIPE');
  });
});

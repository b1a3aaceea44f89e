import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { drained } from '../../lib/fs/drained.js';

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
});

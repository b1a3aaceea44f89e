import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { DetachKeysError, DetachMatcher, DetachScanner, parseDetachKeys, scanForDetach } from '../../lib/container/detach-keys.js';

const b = (...codes: number[]) => Buffer.from(codes);
const CTRL_P = 0x10;
const CTRL_Q = 0x11;

/** Feed the chunks one by one; what was forwarded in all, and whether it detached. */
function run(keys: string, chunks: (string | Buffer)[]): { forward: Buffer; detached: boolean; rest: Buffer } {
  const m = new DetachMatcher(parseDetachKeys(keys));
  const out: Buffer[] = [];
  let detached = false;
  for (const c of chunks) {
    const r = m.feed(Buffer.from(c));
    out.push(r.forward);
    detached ||= r.detached;
  }
  return { forward: Buffer.concat(out), detached, rest: m.flush() };
}

/** Everything a readable gives until it ends (or until `ms` pass without an end: then `ended` is false). */
function collect(stream: NodeJS.ReadableStream, ms = 200): Promise<{ data: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ data: Buffer.concat(chunks), ended: false }), ms);
    stream.once('end', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), ended: true });
    });
  });
}

describe('detach keys: docker\'s spec syntax (moby/term ToBytes)', () => {
  it('defaults to ctrl-p,ctrl-q when the spec is empty or absent', () => {
    expect(parseDetachKeys(undefined)).to.deep.equal(b(CTRL_P, CTRL_Q));
    expect(parseDetachKeys(null)).to.deep.equal(b(CTRL_P, CTRL_Q));
    expect(parseDetachKeys('')).to.deep.equal(b(CTRL_P, CTRL_Q));
  });

  it('reads ctrl-@ … ctrl-_ as codes 0–31, DEL as 127, single characters as their byte', () => {
    expect(parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')).to.deep.equal(b(0, 1, 26, 27, 28, 29, 30, 31));
    expect(parseDetachKeys('ctrl-x')).to.deep.equal(b(0x18));
    expect(parseDetachKeys('DEL')).to.deep.equal(b(127));
    expect(parseDetachKeys('a,b,X,ctrl-c')).to.deep.equal(b(0x61, 0x62, 0x58, 3));
  });

  it('refuses unknown names with dockerd\'s message, naming the key in the hint', () => {
    for (const [spec, key] of [
      ['ctrl-P', 'ctrl-P'], // names are case-sensitive, as docker's
      ['ctrl-1', 'ctrl-1'],
      ['ctrl-p,,ctrl-q', ''], // an empty key between commas
      ['ctrl-p,', ''],
      ['del', 'del'],
      ['ab', 'ab'],
      ['ctrl-pp', 'ctrl-pp'],
    ] as const) {
      let err: unknown;
      try {
        parseDetachKeys(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).to.be.instanceOf(DetachKeysError);
      expect((err as DetachKeysError).message).to.equal(`Invalid detach keys (${spec}) provided`);
      expect((err as DetachKeysError).key).to.equal(key);
      expect((err as DetachKeysError).exitCode).to.equal(125);
    }
  });
});

describe('detach keys: the matcher', () => {
  it('forwards everything when the sequence does not come, and detaches at it', () => {
    expect(run('', ['hello\n', 'world'])).to.deep.equal({ forward: Buffer.from('hello\nworld'), detached: false, rest: b() });
    expect(run('', ['ls\n', b(CTRL_P), b(CTRL_Q)])).to.deep.equal({ forward: Buffer.from('ls\n'), detached: true, rest: b() });
  });

  it('finds the sequence inside a chunk and across chunks; nothing after it is forwarded', () => {
    expect(run('', [Buffer.concat([Buffer.from('ab'), b(CTRL_P, CTRL_Q), Buffer.from('cd')])]).forward.toString()).to.equal('ab');
    expect(run('', [Buffer.concat([Buffer.from('ab'), b(CTRL_P)]), Buffer.concat([b(CTRL_Q), Buffer.from('cd')]), 'more'])).to.deep.equal({
      forward: Buffer.from('ab'),
      detached: true,
      rest: b(),
    });
  });

  it('holds a partial match back, and forwards it as it was when the next byte differs', () => {
    const m = new DetachMatcher(parseDetachKeys(''));
    expect(m.feed(b(0x61, CTRL_P))).to.deep.equal({ forward: b(0x61), detached: false });
    expect(m.feed(b(0x62))).to.deep.equal({ forward: b(CTRL_P, 0x62), detached: false });
    // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes through, the second starts the sequence.
    expect(run('', [b(CTRL_P), b(CTRL_P), b(CTRL_Q)])).to.deep.equal({ forward: b(CTRL_P), detached: true, rest: b() });
  });

  it('restarts the match inside what it held (a,a,b in "aaab")', () => {
    expect(run('a,a,b', ['aaab'])).to.deep.equal({ forward: Buffer.from('a'), detached: true, rest: b() });
    expect(run('a,b,a,c', ['ababac'])).to.deep.equal({ forward: Buffer.from('ab'), detached: true, rest: b() });
    expect(run('a,a,b', ['aaxaab'])).to.deep.equal({ forward: Buffer.from('aax'), detached: true, rest: b() });
  });

  it('a single key detaches at once; a sequence begun at the end is given back by flush', () => {
    expect(run('ctrl-x', ['abc', b(0x18)])).to.deep.equal({ forward: Buffer.from('abc'), detached: true, rest: b() });
    expect(run('', ['abc', b(CTRL_P)])).to.deep.equal({ forward: Buffer.from('abc'), detached: false, rest: b(CTRL_P) });
  });
});

describe('detach keys: the stream', () => {
  it('forwards the input, and ends when it ends (a partial sequence at the end included)', async () => {
    const input = new PassThrough();
    let detached = 0;
    const out = scanForDetach(input, parseDetachKeys(''), { closeOnDetach: true, onDetach: () => detached++ });
    const got = collect(out);
    input.write('one ');
    input.end(Buffer.concat([Buffer.from('two'), b(CTRL_P)]));
    expect(await got).to.deep.equal({ data: Buffer.concat([Buffer.from('one two'), b(CTRL_P)]), ended: true });
    expect(detached).to.equal(0);
  });

  it('the input going away without an end ends the output too (a dropped connection)', async () => {
    const input = new PassThrough();
    const out = scanForDetach(input, parseDetachKeys(''), { closeOnDetach: false, onDetach: () => undefined });
    const got = collect(out);
    input.write('x');
    setTimeout(() => input.destroy(), 20);
    expect(await got).to.deep.equal({ data: Buffer.from('x'), ended: true });
  });

  it('on detach: calls onDetach once, stops reading the input, and ends the output only with closeOnDetach', async () => {
    for (const closeOnDetach of [true, false]) {
      const input = new PassThrough();
      let detached = 0;
      const out = scanForDetach(input, parseDetachKeys('ctrl-p,ctrl-q'), { closeOnDetach, onDetach: () => detached++ });
      const got = collect(out);
      input.write(Buffer.concat([Buffer.from('keep'), b(CTRL_P)]));
      input.write(Buffer.concat([b(CTRL_Q), Buffer.from('dropped')]));
      input.write('dropped too');
      input.end();
      expect(await got, `closeOnDetach ${closeOnDetach}`).to.deep.equal({ data: Buffer.from('keep'), ended: closeOnDetach });
      expect(detached).to.equal(1);
      expect(out).to.be.instanceOf(DetachScanner);
      expect((out as DetachScanner).detached).to.equal(true);
    }
  });
});

import { expect } from 'chai';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputListener } from '../../lib/api/channel.js';
import { connectOutputChannel, outputSocketPath } from '../../lib/container/output-channel.js';
import { pathsUnder } from '../../lib/state/paths.js';

describe('Engine API: the output channel from a supervisor to the service', () => {
  let dir: string;
  const id = 'ab'.repeat(32);

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-channel-'));
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('nobody listens: no channel (what every racker run -d sees)', async () => {
    expect(await connectOutputChannel(pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run')), id)).to.equal(undefined);
  });

  it('the socket path stays short enough for a unix socket', () => {
    expect(Buffer.byteLength(outputSocketPath(pathsUnder('/var/lib/racker', '/run/racker'), id))).to.be.below(60);
  });

  it('frames arrive byte-exact, in order, stdout and stderr apart; closing ends the stream', async () => {
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    const listener = await OutputListener.open(paths, id);
    const got: [number, Buffer][] = [];
    listener.subscribe((stream, payload) => got.push([stream, Buffer.from(payload)]));
    const channel = await connectOutputChannel(paths, id);
    expect(channel).to.not.equal(undefined);
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc3]);
    const big = Buffer.alloc(300_000, 7);
    channel!.sinks.stdout(binary);
    channel!.sinks.stderr(Buffer.from('err\n'));
    channel!.sinks.stdout(big);
    await channel!.close();
    await listener.whenEnded(5000);
    expect(listener.ended).to.equal(true);
    expect(got.map(([s]) => s)).to.deep.equal([1, 2, 1]);
    expect(got[0]![1].equals(binary)).to.equal(true);
    expect(got[1]![1].toString()).to.equal('err\n');
    expect(got[2]![1].equals(big)).to.equal(true);
    await listener.close();
    expect(await fs.stat(outputSocketPath(paths, id)).then(() => 'exists', () => 'gone')).to.equal('gone');
  });
});

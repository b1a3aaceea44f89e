import { expect } from 'chai';
import { existsSync, mkdirSync, promises as fs, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { racker, spawnRacker, tempRoot, waitFor } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe('pull faults (integration)', function () {
  let reg: FixtureRegistry;
  let root: string;

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
  });

  after(async () => {
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('a pull killed with SIGKILL half-way leaves nothing that looks like an image', async () => {
    const ref = `${reg.host}/library/debian:bookworm`;
    const child = spawnRacker(['pull', ref], { root });
    // Kill once unpacking has started (the scratch directory has a rootfs growing in it).
    await waitFor(() => ls(path.join(root, 'lib/tmp')).some((d) => existsSync(path.join(root, 'lib/tmp', d, 'bundle'))), 60_000, 'unpack to start');
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));

    expect(ls(path.join(root, 'lib/images'))).to.deep.equal([]);
    const images = await racker(['images', '-q'], { root });
    expect(images.code).to.equal(0);
    expect(images.stdout).to.equal('');

    // The next pull takes over the dead pull's lock, clears its scratch space and succeeds.
    const again = await racker(['pull', ref], { root });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain(`Status: Downloaded newer image for ${ref}`);
    expect(ls(path.join(root, 'lib/images'))).to.have.length(1);
    expect(ls(path.join(root, 'lib/tmp'))).to.deep.equal([]);
    expect(ls(path.join(root, 'run/locks'))).to.deep.equal([]);
  });

  it('a missing tool is named with its Debian package', async () => {
    // A PATH with everything but skopeo.
    const bin = path.join(root, 'fake-bin');
    mkdirSync(bin);
    for (const tool of ['umoci', 'cp']) symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    const r = await racker(['pull', `${reg.host}/racker/busybox:latest`], { root, env: { PATH: bin } });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('racker: skopeo is not installed (install it with: apt-get install skopeo)\n');
  });
});

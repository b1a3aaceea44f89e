/**
 * Issue 17 item 1, the slow half: an arm64 Debian with systemd booted under qemu-user-static,
 * and an apt probe in it. Its fixture (scripts/build-foreign-fixtures.sh debian) runs every
 * maintainer script emulated: minutes, not CI's budget. Not in `npm test`: `npm run test:foreign`.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cli, ok, racker, repoRoot, tempRoot, type CliResult } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const postrojBin = path.join(repoRoot, 'dist/bin/postroj.js');

describe('platforms, booted (foreign: an arm64 Debian under qemu-user-static)', function () {
  this.timeout(900_000);
  let reg: FixtureRegistry;
  let root: string;
  let ref: string;
  const rk = (args: string[]): Promise<CliResult> => racker(args, { root, timeoutMs: 600_000 });

  before(async function () {
    requireIntegration(this);
    this.timeout(3_600_000); // a fresh machine builds the fixture first
    reg = await startRegistry({ foreign: 'debian' });
    ref = `${reg.host}/racker/debian:bookworm`;
    root = tempRoot();
  });

  afterEach(async () => {
    const ids = (await rk(['ps', '-aq'])).stdout.trim();
    if (ids) await rk(['rm', '-f', ...ids.split('\n')]);
  });

  after(async () => {
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('an index with arm64 only: a pull without --platform on amd64 names what it has', async () => {
    const r = await rk(['pull', ref]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`racker: image ${ref} has no linux/amd64 platform; it has linux/arm64 (pull another with --platform)\n`);
  });

  it('run -d --platform linux/arm64 boots systemd to running; exec says aarch64', async () => {
    const started = Date.now();
    ok(await rk(['run', '-d', '--platform', 'linux/arm64', '--boot-timeout', '300', '--name', 'arm', ref]));
    const bootMs = Date.now() - started;
    const uname = ok(await rk(['exec', 'arm', 'uname', '-m']));
    expect(uname.stdout).to.equal('aarch64\n');
    const state = await rk(['exec', 'arm', 'systemctl', 'is-system-running']);
    expect(state.stdout.trim()).to.be.oneOf(['running', 'degraded']);
    const virt = ok(await rk(['exec', 'arm', 'systemd-detect-virt', '--container']));
    expect(virt.stdout).to.equal('systemd-nspawn\n');
    process.stderr.write(`      (pull and boot to running: ${(bootMs / 1000).toFixed(1)} s)\n`);
  });

  it('postroj pkgprobe --platform linux/arm64: an arm64 package from the archive installs and runs', async () => {
    const r = await cli(postrojBin, ['pkgprobe', '--platform', 'linux/arm64', '--boot-timeout', '300', '--image', ref, '--package', 'hello', '--check-command', 'hello | grep -q "Hello, world"', '--check-command', 'dpkg --print-architecture | grep -qx arm64', '--format', 'json'], {
      env: { RACKER_ROOT: root },
      timeoutMs: 900_000,
    });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const [report] = JSON.parse(r.stdout) as { ok: boolean; probes: { name: string; ok: boolean }[] }[];
    expect(report!.ok).to.equal(true);
    expect(report!.probes.map((p) => p.ok)).to.deep.equal([true, true, true]);
  });
});

/**
 * racker build --mkosi: a Debian system built by mkosi from the archive, stored as an image,
 * booted to running. Not in `npm test`: mkosi installs Debian from the archive each time
 * (2-4 minutes here), past the CI budget. Run it with `npm run test:mkosi`.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, promises as fs, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ok, racker, tempRoot } from '../helpers/cli.js';
import { removeAllContainers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';

describe('build --mkosi (integration)', function () {
  let root: string;
  let conf: string;

  before(function () {
    requireIntegration(this);
    try {
      execFileSync('mkosi', ['--version'], { stdio: 'ignore' });
    } catch {
      if (process.env.RACKER_INTEGRATION === 'required') throw new Error('mkosi is not installed (run ./scripts/setup.sh)');
      this.skip();
    }
    root = tempRoot();
    conf = path.join(tempRoot('racker-mkosi-'), 'conf');
    mkdirSync(conf);
    // WithDocs=yes: mkosi 14 removes the documentation in a systemd-nspawn run, which fails
    // where /run is not a tmpfs (nspawn refuses to clean its propagation directory there).
    writeFileSync(path.join(conf, 'mkosi.conf'), '[Distribution]\nDistribution=debian\nRelease=bookworm\n\n[Content]\nPackages=systemd,dbus\nWithDocs=yes\n');
  });

  after(async () => {
    if (root) await removeAllContainers(root);
    for (const d of [root, conf && path.dirname(conf)]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('builds a Debian image from an mkosi configuration that boots to running', async () => {
    const r = await racker(['build', '--mkosi', conf, '-t', 'local/mkosi-debian'], { root, timeoutMs: 900_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^sha256:[a-f0-9]{64}\n$/);
    expect(readdirSync(path.join(root, 'lib/tmp'))).to.deep.equal([]);
    const images = ok(await racker(['images', '--format', '{{.Repository}}:{{.Tag}}'], { root })).stdout;
    expect(images).to.contain('local/mkosi-debian:latest');
    const id = ok(await racker(['run', '-d', 'local/mkosi-debian'], { root })).stdout.trim();
    const state = await racker(['exec', id, 'systemctl', 'is-system-running'], { root });
    expect(state.stdout).to.equal('running\n');
    const release = ok(await racker(['exec', id, 'sh', '-c', '. /etc/os-release; echo $VERSION_CODENAME'], { root })).stdout;
    expect(release).to.equal('bookworm\n');
  });

  it('a configuration mkosi rejects exits 1 with mkosi’s message and stores nothing', async () => {
    const bad = path.join(path.dirname(conf), 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'mkosi.conf'), '[Distribution]\nDistribution=nosuchdistro\n');
    const before = ok(await racker(['images', '-q'], { root })).stdout;
    const r = await racker(['build', '--mkosi', bad, '-t', 'local/bad'], { root });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n').pop()).to.match(/^racker: .*nosuchdistro/);
    expect(ok(await racker(['images', '-q'], { root })).stdout).to.equal(before);
    expect(readdirSync(path.join(root, 'lib/tmp'))).to.deep.equal([]);
  });
});

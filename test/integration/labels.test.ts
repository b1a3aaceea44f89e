import { expect } from 'chai';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CliResult, ok, racker, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

function labelImage(root: string, label: string): { id: string; rootfs: string; meta: any } {
  const tags = JSON.parse(readFileSync(path.join(root, 'lib/repositories.json'), 'utf8')).tags;
  const id = tags[`label:${label}`].id.slice(7);
  const dir = path.join(root, 'lib/images', id);
  return { id, rootfs: path.join(dir, 'rootfs'), meta: JSON.parse(readFileSync(path.join(dir, 'image.json'), 'utf8')) };
}

/** What a provisioned Debian machine image must have, whichever way it was made. */
function expectProvisioned(rootfs: string): void {
  for (const f of ['usr/lib/systemd/systemd', 'usr/bin/curl', 'etc/ssl/certs/ca-certificates.crt', 'usr/bin/ps', 'usr/bin/ip']) {
    expect(existsSync(path.join(rootfs, f)), f).to.equal(true);
  }
  expect(existsSync(path.join(rootfs, 'usr/sbin/policy-rc.d'))).to.equal(false);
}

describe('curated labels, Debian family end to end (integration)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let env: Record<string, string>;

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot();
    // The fixture registry stands in for Docker Hub, as a registry mirror.
    env = { RACKER_REGISTRY_MIRROR: reg.host };
  });

  after(async () => {
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('pull debian-bookworm: the base image from the registry, provisioned with apt in a container', async function () {
    this.timeout(900_000);
    const r = ok(await racker(['pull', '--source', 'registry', 'debian-bookworm'], { root, env }));
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.equal('bookworm: Pulling from library/debian');
    expect(lines).to.include('Status: Downloaded newer image for debian:bookworm');
    expect(lines).to.include('debian-bookworm: Provisioning apt packages');
    expect(lines.slice(-2)).to.deep.equal(['Status: Downloaded newer image for debian-bookworm', 'debian-bookworm']);
    const { rootfs, meta } = labelImage(root, 'debian-bookworm');
    expectProvisioned(rootfs);
    expect(readdirSync(path.join(rootfs, 'var/lib/apt/lists')).filter((f) => f.endsWith('_Packages'))).to.deep.equal([]);
    expect(meta.origin).to.deep.equal({ kind: 'label', label: 'debian-bookworm', via: 'registry', base: 'docker.io/library/debian:bookworm' });
    expect(meta.systemd).to.equal(true);
  });

  it('images lists the label and its base under their own names', async () => {
    const r = ok(await racker(['images'], { root, env }));
    const names = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort();
    expect(names).to.deep.equal(['debian bookworm', 'debian-bookworm latest']);
  });

  it('a repeated pull of the label provisions nothing', async () => {
    const r = ok(await racker(['--debug', 'pull', 'debian-bookworm'], { root, env }));
    expect(r.stdout.trim().split('\n').slice(-2)).to.deep.equal(['Status: Image is up to date for debian-bookworm', 'debian-bookworm']);
    expect(r.stderr).not.to.contain('systemd-nspawn');
    expect(r.stderr).not.to.contain('skopeo copy');
  });

  it('--source bootstrap builds the label from the Debian archive with mmdebstrap', async function () {
    this.timeout(900_000);
    const broot = tempRoot();
    try {
      const r = ok(await racker(['pull', '--source', 'bootstrap', 'debian-bookworm'], { root: broot }));
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).to.match(/^debian-bookworm: Bootstrapping bookworm from https?:\/\/\S+$/);
      expect(lines.slice(-2)).to.deep.equal(['Status: Downloaded newer image for debian-bookworm', 'debian-bookworm']);
      const { rootfs, meta } = labelImage(broot, 'debian-bookworm');
      expectProvisioned(rootfs);
      expect(meta.origin).to.deep.equal({ kind: 'label', label: 'debian-bookworm', via: 'bootstrap' });

      // auto with an unreachable registry falls back to the bootstrap source (here: already built).
      const auto = ok(await racker(['pull', 'debian-bookworm'], { root: broot, env: { RACKER_REGISTRY_MIRROR: '127.0.0.1:9' } }));
      expect(auto.stderr).to.contain('cannot reach registry 127.0.0.1:9: ECONNREFUSED; bootstrapping debian-bookworm from the Debian archive instead');
      expect(auto.stdout.trim().split('\n').slice(-2)).to.deep.equal(['Status: Image is up to date for debian-bookworm', 'debian-bookworm']);
    } finally {
      await fs.rm(broot, { recursive: true, force: true });
    }
  });

  it('--source registry with an unreachable registry fails in one line', async () => {
    const r = await racker(['pull', '--source', 'registry', 'debian-trixie'], { root, env: { RACKER_REGISTRY_MIRROR: '127.0.0.1:9' } });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n').pop()).to.equal('racker: cannot reach registry 127.0.0.1:9: ECONNREFUSED');
  });

  it('--source bootstrap is refused for a label without one', async () => {
    const r = await racker(['pull', '--source', 'bootstrap', 'fedora-43'], { root, env });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('racker: label fedora-43 has no bootstrap source (only Debian-family labels do)\n');
  });
});

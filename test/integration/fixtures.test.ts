// The fixture registry itself: the images other integration tests pull are there and shaped as promised.
import { expect } from 'chai';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { startRegistry } from '../helpers/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!onPath('docker-registry')) return 'docker-registry missing (apt-get install docker-registry)';
  return undefined;
}

/** Skips with the reason in the test title, or fails when RACKER_INTEGRATION=required. */
function requireIntegration(ctx: Mocha.Context): void {
  const reason = skipReason();
  if (reason === undefined) return;
  if (process.env.RACKER_INTEGRATION === 'required') throw new Error(`RACKER_INTEGRATION=required, but ${reason}`);
  if (ctx.test) ctx.test.title += ` (skipped: ${reason})`;
  ctx.skip();
}

function portOpen(host: string): Promise<boolean> {
  const [address, port] = host.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), address);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers });
  expect(res.status, `GET ${url}`).to.equal(200);
  return res.json();
}

describe('fixture registry', function () {
  // The first run on a machine builds the cache (mmdebstrap, about a minute).
  this.timeout(300_000);

  it('serves the three fixture repositories and closes its port on stop', async function () {
    requireIntegration(this);
    const registry = await startRegistry();
    try {
      const catalog = (await getJson(`${registry.url}/v2/_catalog`)) as { repositories: string[] };
      expect(catalog.repositories).to.include.members(['library/debian', 'racker/multilayer', 'racker/busybox']);

      const manifest = (await getJson(`${registry.url}/v2/racker/multilayer/manifests/latest`, {
        Accept: OCI_MANIFEST,
      })) as { config: { digest: string }; layers: unknown[] };
      expect(manifest.layers).to.have.lengthOf(3);

      const config = (await getJson(`${registry.url}/v2/racker/multilayer/blobs/${manifest.config.digest}`)) as {
        config: { Labels?: Record<string, string>; WorkingDir?: string };
      };
      expect(config.config.Labels).to.deep.include({ 'org.racker.fixture': 'multilayer' });
      expect(config.config.WorkingDir).to.equal('/opt/fixture');
    } finally {
      await registry.stop();
    }
    expect(await portOpen(registry.host), `${registry.host} still open after stop()`).to.equal(false);
  });

  it('asks for the htpasswd credentials when auth is on', async function () {
    requireIntegration(this);
    const user = 'fixture';
    const password = 'fixture-secret';
    const registry = await startRegistry({ auth: { user, password } });
    try {
      const anonymous = await fetch(`${registry.url}/v2/`);
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers.get('www-authenticate')).to.match(/^Basic realm=/);

      const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
      expect((await fetch(`${registry.url}/v2/`, { headers: basic(user, 'wrong') })).status).to.equal(401);
      const catalog = (await getJson(`${registry.url}/v2/_catalog`, basic(user, password))) as { repositories: string[] };
      expect(catalog.repositories).to.include('racker/busybox');
    } finally {
      await registry.stop();
    }
  });
});

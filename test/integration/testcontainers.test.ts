/**
 * Issue 15: testcontainers-node (the library, as its users run it) against `racker system
 * service`: a container with an exposed port and each wait strategy, exec, the mapped port,
 * a network whose containers reach each other by alias. Ryuk (its reaper container, which
 * needs Docker Hub) is off; every container and network is removed by the test.
 */
import { expect } from 'chai';
import { promises as fs, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { netCensus, newSince, NOTHING, type NetCensus } from '../helpers/network.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

type Testcontainers = typeof import('testcontainers');

describe('testcontainers-node against racker system service (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let tc: Testcontainers;
  let BUSYBOX: string;
  let www: string;
  let census0: NetCensus;
  const saved = { host: process.env.DOCKER_HOST, ryuk: process.env.TESTCONTAINERS_RYUK_DISABLED };

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    census0 = netCensus();
    reg = await startRegistry();
    root = tempRoot('racker-testcontainers-');
    service = await startService(root);
    // testcontainers reads its settings from the environment when it first needs a client.
    process.env.DOCKER_HOST = service.host;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    tc = await import('testcontainers');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    www = mkdtempSync(path.join(os.tmpdir(), 'racker-www-'));
    writeFileSync(path.join(www, 'index.html'), 'served to testcontainers\n');
  });

  after(async function () {
    this.timeout(120_000);
    // Assigning undefined would set the string "undefined" (later tests' clients read it).
    for (const [name, value] of [['DOCKER_HOST', saved.host], ['TESTCONTAINERS_RYUK_DISABLED', saved.ryuk]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (service) expect(await service.stop()).to.equal(0);
    if (root) {
      const ids = (await racker(['ps', '-aq'], { root })).stdout.split('\n').filter(Boolean);
      expect(ids, 'containers left by the test').to.deep.equal([]);
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    if (www) await fs.rm(www, { recursive: true, force: true });
    await reg?.stop();
    expect(newSince(census0)).to.deep.equal(NOTHING);
  });

  const webServer = () =>
    new tc.GenericContainer(BUSYBOX)
      .withCommand(['sh', '-c', 'echo server starting; exec busybox httpd -f -p 80 -h /www'])
      .withBindMounts([{ source: www, target: '/www', mode: 'ro' }])
      .withExposedPorts(80)
      .withStartupTimeout(30_000);

  it('an exposed port, Wait.forListeningPorts, getMappedPort, exec, logs', async () => {
    const c = await webServer().withWaitStrategy(tc.Wait.forListeningPorts()).start();
    try {
      const res = await fetch(`http://${c.getHost()}:${c.getMappedPort(80)}/`);
      expect([res.status, await res.text()]).to.deep.equal([200, 'served to testcontainers\n']);
      expect(await c.exec(['cat', '/www/index.html'])).to.include({ exitCode: 0, output: 'served to testcontainers\n' });
      expect((await c.exec(['sh', '-c', 'exit 3'])).exitCode).to.equal(3);
      const logs = await c.logs();
      const text = await new Promise<string>((resolve) => {
        let out = '';
        logs.on('data', (d: Buffer | string) => (out += d.toString())).on('end', () => resolve(out));
        setTimeout(() => resolve(out), 2000);
      });
      expect(text).to.contain('server starting');
    } finally {
      await c.stop();
    }
  });

  it('Wait.forLogMessage and Wait.forHttp', async () => {
    const byLog = await webServer().withWaitStrategy(tc.Wait.forLogMessage('server starting')).start();
    await byLog.stop();
    const byHttp = await webServer().withWaitStrategy(tc.Wait.forHttp('/index.html', 80).forStatusCode(200)).start();
    try {
      const res = await fetch(`http://${byHttp.getHost()}:${byHttp.getMappedPort(80)}/index.html`);
      expect(res.status).to.equal(200);
    } finally {
      await byHttp.stop();
    }
  });

  it('copy files and content in (before and after the start), an archive out; a tmpfs; Wait.forHealthCheck', async () => {
    const file = path.join(www, 'copied.txt');
    writeFileSync(file, 'from a file\n');
    const c = await new tc.GenericContainer(BUSYBOX)
      .withCommand(['sleep', '300'])
      .withCopyFilesToContainer([{ source: file, target: '/srv/copied.txt' }])
      .withCopyContentToContainer([{ content: 'from content\n', target: '/srv/content.txt', mode: 0o600 }])
      .withTmpFs({ '/scratch': 'rw,size=1m' })
      .withHealthCheck({ test: ['CMD-SHELL', 'test -e /srv/content.txt'], interval: 200, retries: 3 })
      .withWaitStrategy(tc.Wait.forHealthCheck())
      .withStartupTimeout(30_000)
      .start();
    try {
      expect(await c.exec(['sh', '-c', 'cat /srv/copied.txt /srv/content.txt; stat -c %a /srv/content.txt; grep -c " /scratch tmpfs" /proc/mounts'])).to.include({
        exitCode: 0,
        output: 'from a file\nfrom content\n600\n1\n',
      });
      await c.copyContentToContainer([{ content: 'later\n', target: '/srv/later.txt' }]);
      expect(await c.exec(['cat', '/srv/later.txt'])).to.include({ exitCode: 0, output: 'later\n' });
      const archive = await c.copyArchiveFromContainer('/srv/later.txt');
      const bytes = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        archive.on('data', (d: Buffer) => chunks.push(d)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      });
      // A tar: the entry's name in the first header, its contents after it.
      expect(bytes.subarray(0, 9).toString()).to.equal('later.txt');
      expect(bytes.subarray(512, 518).toString()).to.equal('later\n');
    } finally {
      await c.stop();
    }
  });

  it('a Network: a container reaches another by its alias', async () => {
    const network = await new tc.Network().start();
    try {
      const server = await webServer().withNetwork(network).withNetworkAliases('web').withWaitStrategy(tc.Wait.forListeningPorts()).start();
      try {
        const client = await new tc.GenericContainer(BUSYBOX).withNetwork(network).withCommand(['sleep', '300']).start();
        try {
          expect(await client.exec(['busybox', 'wget', '-q', '-O', '-', 'http://web/'])).to.include({ exitCode: 0, output: 'served to testcontainers\n' });
        } finally {
          await client.stop();
        }
      } finally {
        await server.stop();
      }
    } finally {
      await network.stop();
    }
  });
});

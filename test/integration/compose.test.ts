/**
 * Issue 15: docker-compose (Debian's 1.29.2) against `racker system service`: a two-service
 * project on its own network, one service publishing a port and the other reaching it by its
 * service name, a named volume, up -d / ps / logs / exec / down -v, and nothing left after.
 */
import { expect } from 'chai';
import { promises as fs, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collect, racker, tempRoot, type CliResult } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { httpGet, type NetCensus, netCensus, newSince, NOTHING } from '../helpers/network.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const COMPOSE = '/usr/bin/docker-compose';


describe('docker-compose against racker system service (integration, issue 15)', function () {
  this.timeout(180_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let project: string;
  let census0: NetCensus;
  const compose = async (args: string[]): Promise<CliResult> => {
    const r = await collect([COMPOSE, '--no-ansi', '-p', 'demo', ...args], {
      env: { PATH: process.env.PATH, HOME: project, DOCKER_HOST: service.host },
      cwd: project,
      timeoutMs: 120_000,
    });
    return { ...r, stdout: r.stdout.toString() };
  };

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    const { existsSync } = await import('node:fs');
    if (!existsSync(COMPOSE)) throw new Error('docker-compose is not installed (run ./scripts/setup.sh --with-tests)');
    census0 = netCensus();
    reg = await startRegistry();
    root = tempRoot('racker-compose-');
    service = await startService(root);
    project = mkdtempSync(path.join(os.tmpdir(), 'racker-compose-project-'));
    const image = `${reg.host}/racker/busybox:latest`;
    writeFileSync(
      path.join(project, 'docker-compose.yml'),
      `version: "3.8"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "echo from the volume > /www/index.html; echo web is up; exec busybox httpd -f -p 80 -h /www"]
    ports: ["18097:80"]
    volumes: ["site:/www"]
    healthcheck:
      test: ["CMD", "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
      interval: 300ms
  client:
    image: ${image}
    command: ["sleep", "300"]
    depends_on:
      web:
        condition: service_healthy
volumes:
  site: {}
`,
    );
  });

  after(async function () {
    this.timeout(120_000);
    if (service) {
      await compose(['down', '-v']).catch(() => undefined);
      expect(await service.stop()).to.equal(0);
    }
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    if (project) await fs.rm(project, { recursive: true, force: true });
    await reg?.stop();
  });

  it('up -d, ps, a published port, the service name from the other service, logs, exec, down -v leaves nothing', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stderr).to.contain('Creating network "demo_default" with the default driver');
    expect(up.stderr).to.contain('Creating volume "demo_site" with default driver');
    const ps = await compose(['ps']);
    expect(ps.stdout).to.match(/demo_client_1 +sleep 300 +Up/);
    // client waited for web's health check to pass (depends_on: condition: service_healthy).
    expect(ps.stdout).to.match(/demo_web_1 +.* +Up \(healthy\) +0\.0\.0\.0:18097->80\/tcp/);
    expect(await httpGet('http://127.0.0.1:18097/')).to.equal('200 from the volume\n');
    const exec = await compose(['exec', '-T', 'client', 'busybox', 'wget', '-q', '-O', '-', 'http://web/']);
    expect([exec.code, exec.stdout]).to.deep.equal([0, 'from the volume\n']);
    expect((await compose(['logs', '--no-color', 'web'])).stdout).to.contain('web is up');
    expect((await racker(['volume', 'ls', '-q'], { root })).stdout).to.equal('demo_site\n');
    const down = await compose(['down', '-v']);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stderr).to.contain('Removing volume demo_site');
    expect((await racker(['ps', '-aq'], { root })).stdout).to.equal('');
    expect((await racker(['volume', 'ls', '-q'], { root })).stdout).to.equal('');
    expect((await racker(['network', 'ls', '--format', '{{.Name}}'], { root })).stdout).to.equal('bridge\nhost\nnone\n');
    expect(newSince(census0)).to.deep.equal(NOTHING);
    expect(await httpGet('http://127.0.0.1:18097/')).to.equal('ECONNREFUSED');
  });

  it('racker compose: the same project through racker itself, with a service of its own for each call', async () => {
    const solo = tempRoot('racker-compose-solo-');
    const rc = (args: string[]) => racker(['compose', '--no-ansi', '-p', 'solo', ...args], { root: solo, cwd: project, timeoutMs: 120_000 });
    try {
      const up = await rc(['up', '-d']);
      expect(up.code, up.stderr).to.equal(0);
      expect(await httpGet('http://127.0.0.1:18097/')).to.equal('200 from the volume\n');
      expect((await rc(['ps', '--services'])).stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['client', 'web']);
      expect((await rc(['down', '-v'])).code).to.equal(0);
      expect((await racker(['ps', '-aq'], { root: solo })).stdout).to.equal('');
      // No service is left running, and no socket of one.
      expect((await fs.readdir(path.join(solo, 'run'))).filter((n) => n.endsWith('.sock'))).to.deep.equal([]);
      expect(newSince(census0)).to.deep.equal(NOTHING);
    } finally {
      await killLeftovers(solo);
      await fs.rm(solo, { recursive: true, force: true });
    }
  });

  it('racker compose with no compose installed: one line and a hint', async () => {
    const r = await racker(['compose', 'ps'], { root, env: { PATH: '/nonexistent' } });
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([1, '', 'racker: no compose is installed (neither the docker compose plugin nor docker-compose) (install it with: apt-get install docker-compose)\n']);
  });
});

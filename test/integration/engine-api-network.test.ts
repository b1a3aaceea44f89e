/**
 * Issue 14, the Engine API part: the real docker CLI (and dockerode, as testcontainers uses
 * it) drive racker's networks and published ports through `racker system service`.
 */
import { expect } from 'chai';
import { promises as fs, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { type CliResult, ok, racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { docker, dockerClient, dockerConfigDir, startService, type Service } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { httpGet, type NetCensus, netCensus, newSince, NOTHING } from '../helpers/network.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('Engine API networking (integration, issue 14): docker run -p, docker port, docker network', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let bin: string;
  let config: { dir: string; remove(): void };
  let BUSYBOX: string;
  let www: string;
  let census0: NetCensus;
  const dk = (args: string[]) => docker(bin, service.host, args, { configDir: config.dir });

  before(async function () {
    requireIntegration(this);
    const found = dockerClient();
    needs(this, Boolean(found), 'the docker client is not installed (docker.io)');
    bin = found!;
    this.timeout(300_000);
    census0 = netCensus();
    reg = await startRegistry();
    root = tempRoot('racker-engine-net-');
    config = dockerConfigDir();
    service = await startService(root);
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    ok(await racker(['pull', '-q', BUSYBOX], { root }));
    www = mkdtempSync(path.join(os.tmpdir(), 'racker-www-'));
    writeFileSync(path.join(www, 'index.html'), 'served through the API\n');
  });

  after(async function () {
    this.timeout(120_000);
    if (service) {
      const ids = (await dk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await dk(['rm', '-f', ...ids]);
      await dk(['network', 'prune', '-f']);
      expect(await service.stop()).to.equal(0);
    }
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    if (www) await fs.rm(www, { recursive: true, force: true });
    config?.remove();
    await reg?.stop();
    expect(newSince(census0)).to.deep.equal(NOTHING);
  });

  it('docker run -d -p and docker port: the port answers, ps shows it, stop releases it', async () => {
    ok(await dk(['run', '-d', '--name', 'web', '-p', '18090:80', '-v', `${www}:/www:ro`, BUSYBOX, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']));
    expect(await httpGet('http://127.0.0.1:18090/')).to.equal('200 served through the API\n');
    expect(ok(await dk(['port', 'web'])).stdout).to.equal('80/tcp -> 0.0.0.0:18090\n80/tcp -> :::18090\n');
    expect(ok(await dk(['ps', '--format', '{{.Names}} {{.Ports}}'])).stdout).to.equal('web 0.0.0.0:18090->80/tcp, :::18090->80/tcp\n');
    expect(ok(await dk(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.Gateway}}', 'web'])).stdout).to.equal('10.89.0.1\n');
    ok(await dk(['rm', '-f', 'web']));
    expect(await httpGet('http://127.0.0.1:18090/')).to.equal('ECONNREFUSED');
  });

  it('docker run -p on a taken port: exit 125 and docker\'s message', async () => {
    ok(await dk(['run', '-d', '--name', 'first', '-p', '18091:80', BUSYBOX, 'sleep', '100']));
    const r = await dk(['run', '-d', '-p', '18091:80', BUSYBOX, 'sleep', '100']);
    expect(r.code).to.equal(125);
    expect(r.stderr).to.contain('Bind for 0.0.0.0:18091 failed: port is already allocated');
    ok(await dk(['rm', '-f', 'first']));
  });

  it('docker network create/ls/inspect/connect/disconnect/rm', async () => {
    const id = ok(await dk(['network', 'create', '--subnet', '10.90.91.0/24', 'apinet'])).stdout.trim();
    expect(id).to.match(/^[0-9a-f]{64}$/);
    expect(ok(await dk(['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['apinet bridge', 'bridge bridge', 'host host', 'none null']);
    expect(ok(await dk(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'apinet'])).stdout).to.equal('10.90.91.0/24 10.90.91.1\n');
    ok(await dk(['run', '-d', '--name', 'one', '--network', 'apinet', '--network-alias', 'uno', BUSYBOX, 'sleep', '1000']));
    ok(await dk(['run', '-d', '--name', 'two', BUSYBOX, 'sleep', '1000']));
    ok(await dk(['network', 'connect', 'apinet', 'two']));
    // Names resolve both ways on the shared network.
    expect(ok(await dk(['exec', 'two', 'busybox', 'ping', '-c', '1', '-W', '2', 'uno'])).stdout).to.contain('10.90.91.');
    expect(ok(await dk(['exec', 'one', 'busybox', 'ping', '-c', '1', '-W', '2', 'two'])).stdout).to.contain('10.90.91.');
    expect(ok(await dk(['inspect', '-f', '{{len .NetworkSettings.Networks}}', 'two'])).stdout).to.equal('2\n');
    const rm = await dk(['network', 'rm', 'apinet']);
    expect(rm.code).to.equal(1);
    expect(rm.stderr).to.contain('has active endpoints');
    expect(ok(await dk(['exec', 'two', 'ls', '/sys/class/net'])).stdout).to.equal('eth0\neth1\nlo\n');
    ok(await dk(['network', 'disconnect', 'apinet', 'two']));
    expect(ok(await dk(['exec', 'two', 'ls', '/sys/class/net'])).stdout).to.equal('eth0\nlo\n');
    expect((await dk(['exec', 'one', 'busybox', 'ping', '-c', '1', '-W', '1', 'two'])).code).to.equal(1);
    ok(await dk(['rm', '-f', 'one', 'two']));
    expect(ok(await dk(['network', 'rm', 'apinet'])).stdout).to.equal('apinet\n');
  });

  it('dockerode as testcontainers uses it: PortBindings with HostPort "" get a free port, listed in Ports', async () => {
    const client = new Docker({ socketPath: service.socket });
    const c = await client.createContainer({
      Image: BUSYBOX,
      Cmd: ['busybox', 'httpd', '-f', '-p', '80', '-h', '/www'],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] }, Binds: [`${www}:/www:ro`] },
    });
    await c.start();
    const info = await c.inspect();
    const port = info.NetworkSettings.Ports['80/tcp']![0]!.HostPort;
    expect(Number(port)).to.be.greaterThan(1023);
    expect(await httpGet(`http://127.0.0.1:${port}/`)).to.equal('200 served through the API\n');
    const listed = (await client.listContainers()).find((x) => x.Id === c.id)!;
    expect(listed.Ports).to.deep.equal([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: Number(port), Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: Number(port), Type: 'tcp' },
    ]);
    const bridge = await client.getNetwork('bridge').inspect();
    expect(bridge.IPAM?.Config).to.deep.equal([{ Subnet: '10.89.0.0/16', Gateway: '10.89.0.1' }]);
    await c.remove({ force: true });
  });
});

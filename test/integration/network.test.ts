/**
 * Issue 14: container networking. The default bridge network, published ports answering on
 * 127.0.0.1, [::1] and the host's own address, user networks whose containers find each
 * other by name, and nothing left in the kernel (links, namespaces, nft tables, listening
 * sockets) once a container is gone — also when its supervisor is killed.
 */
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { promises as fs, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { racker, rackerBin, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers } from '../helpers/containers.js';
import { HostileImages } from '../helpers/hostile-images.js';
import { requireIntegration } from '../helpers/integration.js';
import { hostAddress, httpGet, listeningPorts, type NetCensus, netCensus, newSince, NOTHING } from '../helpers/network.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';


/** Retry an assertion until it holds (the kernel lets go of a namespace a moment after its last process). */
async function settled(check: () => void | Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('networking (integration, issue 14): bridge networks, published ports, names', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let BUSYBOX: string;
  let DEBIAN: string;
  let EXPOSED: string;
  let NETWORKD: string; // debian with systemd-networkd enabled and a DHCP .network for eth*
  let images: HostileImages;
  let www: string;
  let census0: NetCensus;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000 });

  async function started(args: string[]): Promise<string> {
    const r = await rk(['run', '-d', ...args]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout.trim();
  }

  /** A busybox web server serving `dir`'s files. */
  const httpd = (dir: string, extra: string[] = []) => started([...extra, '-v', `${dir}:/www:ro`, BUSYBOX, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry({ writable: true });
    root = tempRoot('racker-network-');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    images = new HostileImages(reg);
    EXPOSED = await images.build({ base: 'racker/busybox:latest', name: 'racker/exposed:1', planted: [{ path: 'www/index.html', file: 'exposed\n' }], exposedPorts: ['80/tcp', '5353/udp'] });
    NETWORKD = await images.build({
      base: 'library/debian:bookworm',
      name: 'racker/networkd:1',
      planted: [
        { path: 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service', symlink: '/lib/systemd/system/systemd-networkd.service' },
        { path: 'etc/systemd/network/80-all.network', file: '[Match]\nName=eth*\n[Network]\nDHCP=yes\n' },
      ],
    });
    for (const ref of [BUSYBOX, DEBIAN, EXPOSED, NETWORKD]) expect((await rk(['pull', '-q', ref])).code).to.equal(0);
    www = mkdtempSync(path.join(os.tmpdir(), 'racker-www-'));
    writeFileSync(path.join(www, 'index.html'), 'hello from the container\n');
  });
  beforeEach(() => {
    census0 = netCensus();
  });
  /** After each test: every container removed, nothing of them left on the host or in the kernel. */
  afterEach(async () => {
    const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await rk(['rm', '-f', ...ids])).code).to.equal(0);
    expect((await rk(['network', 'prune', '-f'])).code).to.equal(0);
    const left = leftovers(root);
    if (left.length) await killLeftovers(root);
    expect(left).to.deep.equal([]);
    await settled(() => void expect(newSince(census0)).to.deep.equal(NOTHING), 3000);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    if (www) await fs.rm(www, { recursive: true, force: true });
    images?.remove();
    await reg?.stop();
  });

  it('the default network: eth0 with an address of 10.89.0.0/16, a default route, /etc/hosts with its own name, no loopback resolver', async () => {
    const r = await rk(['run', '--rm', '--name', 'plain', BUSYBOX, 'sh', '-c', 'ip -4 -o addr show eth0; ip route; ls /sys/class/net; cat /etc/hosts /etc/resolv.conf']);
    expect(r.code, r.stderr).to.equal(0);
    const address = /inet (10\.89\.\d+\.\d+)\/16/.exec(r.stdout)?.[1];
    expect(address, r.stdout).to.be.a('string');
    expect(r.stdout).to.contain('default via 10.89.0.1 dev eth0');
    expect(r.stdout).to.contain('eth0\nlo\n'); // /sys/class/net: the container's own links, not the host's
    expect(r.stdout).to.match(new RegExp(`^${address!.replace(/\./g, '\\.')}\tplain [0-9a-f]{12}$`, 'm'));
    expect(r.stdout).to.match(/^nameserver /m);
    expect(r.stdout).not.to.match(/^nameserver 127\./m);
  });

  it('-p 127.0.0.1-free: a published port answers on 127.0.0.1, [::1] and the host address; port, ps and inspect say where', async () => {
    const id = await httpd(www, ['--name', 'web', '-p', '18080:80']);
    const expected = '200 hello from the container\n';
    expect(await httpGet('http://127.0.0.1:18080/')).to.equal(expected);
    expect(await httpGet('http://[::1]:18080/')).to.equal(expected);
    expect(await httpGet(`http://${hostAddress()}:18080/`)).to.equal(expected);
    expect(seen(await rk(['port', 'web']))).to.deep.equal({ code: 0, stdout: '80/tcp -> 0.0.0.0:18080\n80/tcp -> :::18080\n', stderr: '' });
    expect(seen(await rk(['port', 'web', '80/tcp']))).to.deep.equal({ code: 0, stdout: '0.0.0.0:18080\n:::18080\n', stderr: '' });
    expect(seen(await rk(['port', 'web', '81']))).to.deep.equal({ code: 1, stdout: '', stderr: "racker: no public port '81/tcp' published for web\n" });
    expect((await rk(['ps', '--format', '{{.Ports}}'])).stdout).to.equal('0.0.0.0:18080->80/tcp, :::18080->80/tcp\n');
    const ins = JSON.parse((await rk(['inspect', id])).stdout)[0];
    expect(ins.NetworkSettings.Ports).to.deep.equal({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '18080' }, { HostIp: '::', HostPort: '18080' }] });
    expect(ins.HostConfig.PortBindings).to.deep.equal({ '80/tcp': [{ HostIp: '', HostPort: '18080' }] });
    expect(ins.NetworkSettings.Networks.bridge.IPAddress).to.match(/^10\.89\.\d+\.\d+$/);
    expect(ins.NetworkSettings.Networks.bridge.Gateway).to.equal('10.89.0.1');
    // Stopped: the port is free again and inspect says nothing is published.
    expect((await rk(['stop', '-t', '1', id])).code).to.equal(0);
    expect(listeningPorts()).not.to.include(18080);
    expect(await httpGet('http://127.0.0.1:18080/')).to.equal('ECONNREFUSED');
    expect(JSON.parse((await rk(['inspect', id])).stdout)[0].NetworkSettings.Ports).to.deep.equal({});
  });

  it('two containers of one image, both on port 80, behind two free host ports (-p 80)', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'racker-www-'));
    writeFileSync(path.join(other, 'index.html'), 'the other one\n');
    try {
      const a = await httpd(www, ['-p', '80']);
      const b = await httpd(other, ['-p', '127.0.0.1::80']);
      const portA = Number((await rk(['port', a, '80'])).stdout.split('\n')[0]!.split(':').pop());
      const portB = (await rk(['port', b, '80'])).stdout;
      expect(portB).to.match(/^127\.0\.0\.1:\d+\n$/);
      expect(await httpGet(`http://127.0.0.1:${portA}/`)).to.equal('200 hello from the container\n');
      expect(await httpGet(`http://${portB.trim()}/`)).to.equal('200 the other one\n');
      // Bound to 127.0.0.1 only: not on the host's other address.
      expect(await httpGet(`http://${hostAddress()}:${portB.trim().split(':')[1]}/`)).to.equal('ECONNREFUSED');
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });

  it('UDP: a datagram to a published udp port reaches the container', async () => {
    // perl-base has sockets (busybox's nc has no -u).
    const server = '$|=1; my $s = IO::Socket::INET->new(LocalPort => 5353, Proto => "udp") or die; while (1) { $s->recv(my $m, 100); print "got $m" }';
    const id = await started(['--no-boot', '-p', '15353:5353/udp', DEBIAN, 'perl', '-MIO::Socket::INET', '-e', server]);
    await settled(async () => {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.send('ping over udp\n', 15353, '127.0.0.1', () => r()));
      sock.close();
      expect((await rk(['logs', id])).stdout).to.contain('got ping over udp');
    }, 5000);
    expect((await rk(['port', id])).stdout).to.equal('5353/udp -> 0.0.0.0:15353\n5353/udp -> :::15353\n');
  });

  it('-P publishes every EXPOSEd port of the image on a free host port', async () => {
    const id = await started(['-P', EXPOSED, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const lines = (await rk(['port', id])).stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => l.replace(/\d+$/, 'N'))).to.deep.equal(['80/tcp -> 0.0.0.0:N', '80/tcp -> :::N', '5353/udp -> 0.0.0.0:N', '5353/udp -> :::N']);
    const port = lines[0]!.split(':').pop();
    expect(await httpGet(`http://127.0.0.1:${port}/`)).to.equal('200 exposed\n');
  });

  it('a host port that is taken fails the run at once (125, port is already allocated) and leaves nothing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      for (const mode of [['-d'], ['--rm']]) {
        const r = await rk(['run', ...mode, '-p', `${port}:80`, BUSYBOX, 'sleep', '100']);
        expect(r.code).to.equal(125);
        expect(r.stderr).to.equal(`racker: Bind for 0.0.0.0:${port} failed: port is already allocated\n`);
        expect(newSince(census0)).to.deep.equal(NOTHING);
      }
      expect(seen(await rk(['ps', '-q']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    } finally {
      blocker.close();
    }
  });

  it('bad networking flags: one line, exit 125, no container', async () => {
    const cases: [string[], string][] = [
      [['-p', '70000:80'], 'racker: invalid hostPort: 70000 (ports are 1 to 65535)\n'],
      [['-p', 'abc'], 'racker: invalid containerPort: abc (ports are 1 to 65535)\n'],
      [['-p', '80:80/sctp'], 'racker: 80:80/sctp: racker publishes tcp and udp ports, not sctp\n'],
      [['-p', '8000-8001:80-82'], 'racker: invalid ranges specified for container and host ports: 80-82 and 8000-8001\n'],
      [['--network', 'nosuch'], 'racker: network nosuch not found\n'],
      [['--ip', '10.89.0.9'], 'racker: user specified IP address and network aliases are supported only on user defined networks\n'],
      [['--add-host', 'nocolon'], 'racker: invalid argument "nocolon" for --add-host: use NAME:IP\n'],
      [['--dns', 'x.y'], 'racker: x.y is not an ip address\n'],
    ];
    for (const [flags, stderr] of cases) expect(seen(await rk(['run', '--rm', ...flags, BUSYBOX, 'true'])), flags.join(' ')).to.deep.equal({ code: 125, stdout: '', stderr });
    expect((await rk(['ps', '-aq'])).stdout).to.equal('');
  });

  it('outbound: a container reaches a server on the host\'s own address (NAT), --add-host and --dns land in its files', async () => {
    const server = http.createServer((_req, res) => res.end('host says hi\n'));
    await new Promise<void>((r) => server.listen(0, hostAddress(), r));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await rk(['run', '--rm', '--add-host', 'hostbox:192.0.2.77', '--dns', '192.0.2.53', BUSYBOX, 'sh', '-c', `wget -q -O - http://${hostAddress()}:${port}/; grep hostbox /etc/hosts; cat /etc/resolv.conf`]);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: 'host says hi\n192.0.2.77\thostbox\nnameserver 192.0.2.53\n', stderr: '' });
    } finally {
      server.close();
    }
  });

  it('--network host and none are unchanged: the host\'s links, or loopback only', async () => {
    const host = await rk(['run', '--rm', '--network', 'host', BUSYBOX, 'ls', '/sys/class/net']);
    expect(host.stdout.split('\n')).to.include('eth0').and.to.include('racker0');
    expect(seen(await rk(['run', '--rm', '--network', 'none', BUSYBOX, 'ls', '/sys/class/net']))).to.deep.equal({ code: 0, stdout: 'lo\n', stderr: '' });
  });

  it('a user network: names, aliases and short IDs resolve both ways, for a container that joins later too; a removed one stops resolving; rm removes the bridge', async () => {
    const created = await rk(['network', 'create', '--subnet', '10.90.77.0/24', '--label', 'team=qa', 'testnet']);
    expect(created.code, created.stderr).to.equal(0);
    const netId = created.stdout.trim();
    {
      expect((await rk(['network', 'ls', '--filter', 'label=team=qa', '--format', '{{.Name}} {{.Driver}}'])).stdout).to.equal('testnet bridge\n');
      expect(netCensus().links).to.include(`rk-${netId.slice(0, 12)}`);
      const db = await started(['--name', 'db', '--network', 'testnet', BUSYBOX, 'sleep', '1000']);
      const app = await started(['--name', 'app', '--network', 'testnet', '--network-alias', 'api', '--ip', '10.90.77.50', BUSYBOX, 'sleep', '1000']);
      const hostsOf = async (c: string) => (await rk(['exec', c, 'cat', '/etc/hosts'])).stdout;
      // db was there first: it learned app's names when app started.
      expect(await hostsOf('db')).to.contain(`10.90.77.50\tapp api ${app.slice(0, 12)}\n`);
      expect(await hostsOf('app')).to.match(new RegExp(`10\\.90\\.77\\.\\d+\\tdb ${db.slice(0, 12)}\\n`));
      expect(seen(await rk(['exec', 'db', 'busybox', 'ping', '-c', '1', '-W', '2', 'api']))).to.include({ code: 0 });
      const ins = JSON.parse((await rk(['network', 'inspect', 'testnet'])).stdout)[0];
      expect(ins.IPAM.Config).to.deep.equal([{ Subnet: '10.90.77.0/24', Gateway: '10.90.77.1' }]);
      expect(Object.values(ins.Containers as Record<string, { Name: string }>).map((c) => c.Name).sort()).to.deep.equal(['app', 'db']);
      expect(seen(await rk(['network', 'rm', 'testnet']))).to.include({ code: 1 });
      expect((await rk(['rm', '-f', 'app'])).code).to.equal(0);
      await settled(async () => void expect(await hostsOf('db')).not.to.contain('app'), 3000);
      expect((await rk(['rm', '-f', 'db'])).code).to.equal(0);
      expect(seen(await rk(['network', 'rm', 'testnet']))).to.deep.equal({ code: 0, stdout: 'testnet\n', stderr: '' });
      expect(netCensus().links).not.to.include(`rk-${netId.slice(0, 12)}`);
    }
  });

  it('bad network input: overlapping subnet, taken name, removing a predefined network', async () => {
    // As docker's CLI: a failure of the operation itself is exit 1 (125 is for run and create).
    expect(seen(await rk(['network', 'create', '--subnet', '10.89.3.0/24', 'n1']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'racker: invalid pool request: subnet 10.89.3.0/24 overlaps with network bridge (10.89.0.0/16)\n',
    });
    expect(seen(await rk(['network', 'create', '--subnet', '10.90.78.5/24', 'n1']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'racker: invalid subnet 10.90.78.5/24: the address is not the network\'s (did you mean 10.90.78.0/24?)\n',
    });
    expect(seen(await rk(['network', 'create', 'bad/name']))).to.include({ code: 1 });
    expect(seen(await rk(['network', 'create', 'bridge']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: network with name bridge already exists\n' });
    expect(seen(await rk(['network', 'rm', 'host']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: host is a pre-defined network and cannot be removed\n' });
    expect((await rk(['network', 'ls', '-q'])).stdout.split('\n').filter(Boolean)).to.have.length(3);
  });

  it('SIGKILL of the supervisor: its nft table and host port go at once; rm -f then leaves nothing', async () => {
    const id = await httpd(www, ['-p', '18081:80']);
    expect(await httpGet('http://127.0.0.1:18081/')).to.equal('200 hello from the container\n');
    expect(newSince(census0).tables).to.deep.equal([`racker-${id.slice(0, 12)}`]);
    const supervisor = JSON.parse(await fs.readFile(path.join(root, 'lib/containers', id, 'container.json'), 'utf8')).state.supervisorPid as number;
    process.kill(supervisor, 'SIGKILL');
    await settled(() => {
      expect(newSince(census0).tables).to.deep.equal([]);
      expect(listeningPorts()).not.to.include(18081);
    }, 3000);
    expect((await rk(['rm', '-f', id])).code).to.equal(0);
  });

  it('networks are apart: a container reaches its own network, not another one; --internal has no way out', async () => {
    expect((await rk(['network', 'create', 'left'])).code).to.equal(0);
    expect((await rk(['network', 'create', 'right'])).code).to.equal(0);
    expect((await rk(['network', 'create', '--internal', 'closed'])).code).to.equal(0);
    await httpd(www, ['--name', 'lweb', '--network', 'left']);
    await httpd(www, ['--name', 'rweb', '--network', 'right']);
    const ip = async (c: string, net: string) => (await rk(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, c])).stdout.trim();
    const fetch = (net: string, url: string) => rk(['run', '--rm', '--network', net, BUSYBOX, 'busybox', 'wget', '-q', '-O', '-', url]);
    // A blocked connection hangs until its timeout (busybox's wget -T crashes; nc -w works).
    const connects = async (net: string, address: string) => (await rk(['run', '--rm', '--network', net, BUSYBOX, 'sh', '-c', `echo | nc -w 2 ${address} 80 >/dev/null && echo yes || echo no`])).stdout;
    expect(seen(await fetch('left', `http://${await ip('lweb', 'left')}/`))).to.deep.equal({ code: 0, stdout: 'hello from the container\n', stderr: '' });
    expect(await connects('left', await ip('rweb', 'right'))).to.equal('no\n');
    expect(await connects('right', await ip('rweb', 'right'))).to.equal('yes\n');
    const server = http.createServer((_req, res) => res.end('outside\n'));
    await new Promise<void>((r) => server.listen(0, hostAddress(), r));
    try {
      const port = (server.address() as AddressInfo).port;
      expect((await fetch('left', `http://${hostAddress()}:${port}/`)).stdout).to.equal('outside\n');
      const closed = await rk(['run', '--rm', '--network', 'closed', BUSYBOX, 'sh', '-c', `ip route; wget -q -O - http://${hostAddress()}:${port}/`]);
      expect(closed.code).not.to.equal(0);
      expect(closed.stdout).to.match(/^10\.90\.\d+\.0\/24 dev eth0 scope link {2}src 10\.90\.\d+\.\d+ \n$/);
    } finally {
      server.close();
    }
  });

  it('a container cannot change its own network (no CAP_NET_ADMIN): its address stays the one racker gave', async () => {
    const r = await rk(['run', '--rm', BUSYBOX, 'busybox', 'ip', 'addr', 'add', '10.89.250.250/16', 'dev', 'eth0']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/Operation not permitted/);
  });

  it('a booted image with systemd-networkd enabled (DHCP on eth*) keeps its address and route', async () => {
    const id = await started(['--name', 'nd', NETWORKD]);
    const address = (await rk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).stdout.trim();
    expect(address).to.match(/^10\.89\.\d+\.\d+$/);
    // What networkd makes of it: started or skipped, it must not have taken the address away.
    await rk(['exec', id, 'systemctl', 'is-system-running', '--wait']);
    const route = (await rk(['exec', id, 'cat', '/proc/net/route'])).stdout;
    expect(route).to.match(/^eth0\t00000000\t0100590A\t/m);
    expect((await rk(['exec', id, 'cat', '/proc/net/fib_trie'])).stdout).to.contain(`|-- ${address}\n`);
  });

  it('eight containers started at once get eight addresses, each answering on its own published port', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => httpd(www, ['-p', '80'])));
    const addresses = await Promise.all(ids.map(async (id) => (await rk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).stdout.trim()));
    expect(new Set(addresses).size).to.equal(8);
    for (const id of ids) {
      const port = (await rk(['port', id, '80'])).stdout.split('\n')[0]!.split(':').pop();
      expect(await httpGet(`http://127.0.0.1:${port}/`)).to.equal('200 hello from the container\n');
    }
  });

  it('racker killed -9 while a container starts: the next racker ps leaves nothing in the kernel', async () => {
    for (const delay of [150, 400]) {
      const child = spawn(process.execPath, [rackerBin, 'run', '--rm', '-p', '18082:80', BUSYBOX, 'sleep', '100'], {
        env: { ...process.env, RACKER_ROOT: root },
        stdio: 'ignore',
      });
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The container itself may have started: it is an orphan now; rm -f of everything, then ps.
      const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await rk(['rm', '-f', ...ids]);
      expect((await rk(['ps', '-a'])).code).to.equal(0);
      await settled(() => void expect(newSince(census0)).to.deep.equal(NOTHING), 3000);
      expect(listeningPorts()).not.to.include(18082);
    }
  });

  it('network connect/disconnect of a running container from the CLI; names follow a restart; connecting twice is refused', async () => {
    expect((await rk(['network', 'create', 'front'])).code).to.equal(0);
    expect((await rk(['network', 'create', 'back'])).code).to.equal(0);
    await started(['--name', 'api', '--network', 'back', BUSYBOX, 'sleep', '1000']);
    await started(['--name', 'proxy', '--network', 'front', BUSYBOX, 'sleep', '1000']);
    const resolves = async (from: string, name: string) => (await rk(['exec', from, 'busybox', 'ping', '-c', '1', '-W', '1', name])).code === 0;
    expect(await resolves('proxy', 'api')).to.equal(false);
    expect(seen(await rk(['network', 'connect', '--alias', 'gateway', 'back', 'proxy']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(await resolves('proxy', 'api')).to.equal(true);
    expect(await resolves('api', 'gateway')).to.equal(true);
    expect(seen(await rk(['network', 'connect', 'back', 'proxy']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: endpoint with name proxy already exists in network back\n' });
    // A restart: the connected network is joined again, and the names are there again on both sides.
    expect((await rk(['restart', '-t', '1', 'proxy'])).code).to.equal(0);
    expect(await resolves('proxy', 'api')).to.equal(true);
    expect(await resolves('api', 'gateway')).to.equal(true);
    expect(seen(await rk(['network', 'disconnect', 'back', 'proxy']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(await resolves('proxy', 'api')).to.equal(false);
    expect(await resolves('api', 'gateway')).to.equal(false);
    expect(seen(await rk(['network', 'disconnect', 'front', 'proxy']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'racker: front is the first network of container proxy: racker can only disconnect networks connected later from a running container\n',
    });
  });

  it('system prune removes networks no container uses, and their bridges; a used one stays', async () => {
    const unused = (await rk(['network', 'create', 'unused'])).stdout.trim();
    expect((await rk(['network', 'create', 'used'])).code).to.equal(0);
    await started(['--network', 'used', BUSYBOX, 'sleep', '100']);
    const r = await rk(['system', 'prune', '-f']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('Deleted Networks:\nunused\n\n');
    expect((await rk(['network', 'ls', '--format', '{{.Name}}', '-f', 'type=custom'])).stdout).to.equal('used\n');
    expect(netCensus().links).not.to.include(`rk-${unused.slice(0, 12)}`);
  });
});

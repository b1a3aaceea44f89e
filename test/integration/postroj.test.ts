import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cli, ok, racker, repoRoot, tempRoot, waitFor, type CliResult } from '../helpers/cli.js';
import { processesInside } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const postrojBin = path.join(repoRoot, 'dist/bin/postroj.js');

/**
 * A real .deb: a small HTTP server (python3's http.server, a dependency apt must resolve)
 * as a systemd service on port 8080, and a second unit that always fails.
 */
function buildDeb(dir: string): string {
  const root = path.join(dir, 'pkg');
  for (const d of ['DEBIAN', 'usr/share/postroj-hello', 'lib/systemd/system']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'DEBIAN/control'), 'Package: postroj-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: racker tests <tests@localhost>\nDepends: python3\nDescription: postroj test package\n');
  writeFileSync(path.join(root, 'usr/share/postroj-hello/index.html'), '<h1>hello from postroj</h1>\n');
  writeFileSync(
    path.join(root, 'lib/systemd/system/postroj-hello.service'),
    '[Unit]\nDescription=postroj test web server\n[Service]\nExecStart=/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory /usr/share/postroj-hello\n[Install]\nWantedBy=multi-user.target\n',
  );
  writeFileSync(path.join(root, 'lib/systemd/system/postroj-broken.service'), '[Unit]\nDescription=always fails\n[Service]\nExecStart=/bin/sh -c "echo broken on purpose >&2; exit 3"\n[Install]\nWantedBy=multi-user.target\n');
  const deb = path.join(dir, 'postroj-hello_1.0_all.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

describe('postroj (integration: label provisioned from the fixture registry, packages from the Debian archive)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let work: string;
  let env: Record<string, string>;
  let server: http.Server;
  let base: string;
  let deb: string;
  const postroj = (args: string[]): Promise<CliResult> => cli(postrojBin, args, { env: { RACKER_ROOT: root, ...env } });

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot();
    work = tempRoot('postroj-work-');
    env = { RACKER_REGISTRY_MIRROR: reg.host };
    deb = buildDeb(work);
    server = http.createServer((req, res) => {
      if (req.url !== '/postroj-hello_1.0_all.deb') return void res.writeHead(404).end();
      res.writeHead(200);
      createReadStream(deb).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.close();
    await reg?.stop();
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('list-images: the curated table, none pulled yet', async () => {
    const r = await postroj(['list-images']);
    expect(r.code).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^LABEL\s+FAMILY\s+SOURCE\s+BOOTSTRAP\s+KIND\s+PULLED$/);
    expect(lines.length - 1).to.be.at.least(22);
    expect(lines.find((l) => l.startsWith('debian-bookworm '))).to.match(/^debian-bookworm\s+apt\s+docker\.io\/library\/debian:bookworm\s+mmdebstrap\s+container\s+no$/);
    expect(lines.find((l) => l.startsWith('fedora-bootc-44 '))).to.match(/^fedora-bootc-44\s+dnf\s+quay\.io\/fedora\/fedora-bootc:44\s+-\s+bootc\s+no$/);
    const json = JSON.parse((await postroj(['list-images', '--format', 'json'])).stdout);
    expect(json.find((l: { name: string }) => l.name === 'fedora-43')).to.deep.equal({
      name: 'fedora-43', family: 'dnf', source: 'docker.io/library/fedora:43', bootstrap: false, kind: 'container', pulled: false,
      notes: 'Released 2025-10-28; end of life four weeks after Fedora 45 (about December 2026).',
    });
    const bootc = json.find((l: { name: string }) => l.name === 'centos-bootc-stream10');
    expect([bootc.kind, bootc.source]).to.deep.equal(['bootc', 'quay.io/centos-bootc/centos-bootc:stream10']);
    expect(bootc.notes).to.match(/^CentOS Stream 10 as a bootable container image \(bootc\)\. Boots as a system container: packages install with dnf/);
  });

  it('pkgprobe: nginx from the archive installs, its unit is active, it answers on port 80', async function () {
    this.timeout(900_000);
    const junit = path.join(work, 'report.xml');
    const json = path.join(work, 'report.json');
    const r = await postroj([
      'pkgprobe', '--image', 'debian-bookworm', '--package', 'nginx', '--check-unit', 'nginx',
      '--check-network', 'http://localhost:80/', '--expect-status', '200', '--expect-body', 'Welcome to nginx',
      '--expect-header', 'Content-Type: ^text/html', '--check-command', 'nginx -v',
      '--report-junit', junit, '--report-json', json,
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^PASS debian-bookworm \(\d+\.\d s\)$/);
    expect(lines.slice(1).map((l) => l.replace(/ \(\d+\.\d s\)$/, ''))).to.deep.equal([
      '  ok   package nginx',
      '  ok   unit nginx',
      '  ok   http http://localhost:80/',
      '  ok   command nginx -v',
      '4 passed, 0 failed',
    ]);
    expect(readFileSync(junit, 'utf8')).to.contain('<testsuites name="postroj" tests="4" failures="0">');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report[0].probes.map((p: { name: string; ok: boolean }) => [p.name, p.ok])).to.deep.equal([
      ['package nginx', true],
      ['unit nginx', true],
      ['http http://localhost:80/', true],
      ['command nginx -v', true],
    ]);
    // The machine is gone, and so is nginx on port 80.
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
    const after = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--check-network', 'tcp://127.0.0.1:80', '--timeout', '1']);
    expect(after.code).to.equal(1);
  });

  it('pkgprobe: a .deb built here, from a file and by URL: installs with its dependencies, its unit goes active, its HTTP probe passes', async function () {
    this.timeout(600_000);
    for (const spec of [deb, `${base}/postroj-hello_1.0_all.deb`]) {
      const r = await postroj([
        'pkgprobe', '--image', 'debian-bookworm', '--package', spec, '--check-unit', 'postroj-hello',
        '--check-network', 'http://127.0.0.1:8080/', '--expect-status', '200', '--expect-body', 'hello from postroj',
        '--expect-header', 'Content-Type: ^text/html',
      ]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n').pop()).to.equal('3 passed, 0 failed');
    }
  });

  it('pkgprobe: the broken variants fail with the right evidence and exit 1', async function () {
    this.timeout(600_000);
    const r = await postroj([
      'pkgprobe', '--image', 'debian-bookworm', '--package', deb, '--package', 'postroj-no-such-package',
      '--check-unit', 'postroj-broken', '--check-unit', 'postroj-hello',
      '--check-network', 'http://127.0.0.1:8080/missing', '--check-network', 'http://127.0.0.1:8080/', '--timeout', '3',
      '--expect-status', '200', '--expect-body', 'Grafana',
    ]);
    expect(r.code).to.equal(1);
    const text = r.stdout;
    expect(text).to.match(/ {2}ok {3}package \/.*postroj-hello_1\.0_all\.deb/);
    expect(text).to.contain('  FAIL package postroj-no-such-package');
    expect(text).to.contain('E: Unable to locate package postroj-no-such-package');
    expect(text).to.contain('  FAIL unit postroj-broken');
    expect(text).to.contain('broken on purpose');
    expect(text).to.match(/ {2}ok {3}unit postroj-hello/);
    expect(text).to.contain('  FAIL http http://127.0.0.1:8080/missing');
    expect(text).to.contain('status 404, expected 200');
    expect(text).to.contain('  FAIL http http://127.0.0.1:8080/');
    expect(text).to.contain('body does not match /Grafana/');
    expect(text.trim().split('\n').pop()).to.equal('2 passed, 4 failed');
  });

  it('pkgprobe: every failing probe is reported, with evidence, and the exit status is 1', async function () {
    this.timeout(300_000);
    const junit = path.join(work, 'fail.xml');
    const r = await postroj([
      'pkgprobe', '--image', 'debian-bookworm', '--check-unit', 'nosuch', '--check-network', 'http://localhost:81/', '--timeout', '2',
      '--check-command', 'echo visible; false', '--check-command', 'true', '--report-junit', junit,
    ]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.contain('  FAIL unit nosuch');
    expect(r.stdout).to.contain('Unit nosuch.service could not be found.');
    expect(r.stdout).to.contain('  FAIL http http://localhost:81/');
    expect(r.stdout).to.contain("curl: (7) Failed to connect to localhost port 81");
    expect(r.stdout).to.contain('  FAIL command echo visible; false');
    expect(r.stdout).to.contain('       visible');
    expect(r.stdout).to.match(/ {2}ok {3}command true \(/);
    expect(r.stdout.trim().split('\n').pop()).to.equal('1 passed, 3 failed');
    expect(readFileSync(junit, 'utf8')).to.contain('<testsuites name="postroj" tests="4" failures="3">');
  });

  it('pkgprobe: an image that cannot boot is a testbed failure: exit 16', async () => {
    const r = await postroj(['pkgprobe', '--image', `${reg.host}/racker/busybox:latest`, '--check-command', 'true']);
    expect(r.code, r.stdout + r.stderr).to.equal(16);
    expect(r.stdout).to.contain(`  error: image ${reg.host}/racker/busybox:latest has no systemd, so it can't boot (run it with --no-boot)`);
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });

  it("pkgprobe --image DIR: a directory holding a root filesystem (a copy of the provisioned label's tree) boots and is probed, and is left unchanged", async function () {
    this.timeout(300_000);
    ok(await postroj(['pull', 'debian-bookworm'])); // up to date when an earlier test provisioned it
    const [image] = JSON.parse(ok(await racker(['image', 'inspect', 'debian-bookworm'], { root, env })).stdout) as { Id: string }[];
    // A copy: racker refuses a directory inside its own image store as a source.
    const tree = path.join(work, 'bookworm-tree');
    execFileSync('cp', ['-a', '--reflink=auto', path.join(root, 'lib/images', image!.Id.replace(/^sha256:/, ''), 'rootfs'), tree]);
    const before = readdirSync(path.join(tree, 'etc')).sort();
    const r = await postroj(['pkgprobe', '--image', tree, '--check-command', 'test -d /run/systemd/system', '--check-command', 'touch /etc/written-by-the-probe']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]!.replace(/ \(\d+\.\d s\)$/, '')).to.equal(`PASS ${tree}`);
    expect(lines.at(-1)).to.equal('2 passed, 0 failed');
    // Written in the machine's overlay, never in the directory.
    expect(readdirSync(path.join(tree, 'etc')).sort()).to.deep.equal(before);
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });

  it('pkgprobe --keep-on-failure leaves the failing machine running and says how to enter it', async function () {
    this.timeout(300_000);
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--check-command', 'false', '--keep-on-failure']);
    expect(r.code).to.equal(1);
    const m = /kept running for inspection: racker exec -it (postroj-[a-f0-9]{8}) bash/.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    const exec = await racker(['exec', m![1]!, 'systemctl', 'is-system-running'], { root });
    expect(exec.stdout).to.match(/^(running|degraded)\n$/);
    expect((await racker(['rm', '-f', m![1]!], { root })).code).to.equal(0);
  });

  it('selftest --jobs 2: two machines, each with nginx on its own port 80, at the same time; valid JUnit and JSON', async function () {
    this.timeout(900_000);
    await racker(['pull', '-q', `${reg.host}/racker/multilayer:latest`], { root });
    const images = ['debian-bookworm', `${reg.host}/racker/multilayer:latest`];
    const junit = path.join(work, 'selftest.xml');
    const r = await postroj(['selftest', '--images', images.join(','), '--jobs', '2', '--report-junit', junit, '--report-json', '-']);
    expect(r.code, r.stderr).to.equal(0);
    const reports = JSON.parse(r.stdout);
    expect(reports.map((x: { image: string; ok: boolean }) => [x.image, x.ok])).to.deep.equal(images.map((i) => [i, true]));
    for (const report of reports) {
      expect(report.probes.map((p: { name: string }) => p.name)).to.deep.equal([
        'package curl', 'package nginx', 'unit nginx', 'http http://localhost:80/', 'command hostnamectl | grep -q "Virtualization: systemd-nspawn"',
      ]);
    }
    const xml = readFileSync(junit, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="postroj" tests="10" failures="0">')).to.equal(true);
    const suites = [...xml.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => [m[1], m[2], m[3]]);
    expect(suites).to.deep.equal(images.map((i) => [i, '5', '0']));
    expect(xml.match(/<testcase /g)).to.have.length(10);
    expect(xml.trimEnd().endsWith('</testsuites>')).to.equal(true);
    expect(r.stderr).to.contain('10 passed, 0 failed');
  });

  it('selftest counts every probe: one failing image fails the run even when the last one passes', async function () {
    this.timeout(300_000);
    const r = await postroj(['selftest', '--images', `${reg.host}/racker/busybox:latest,debian-bookworm`, '--jobs', '2']);
    expect(r.code).to.equal(16);
    expect(r.stdout).to.match(/^FAIL 127\.0\.0\.1:\d+\/racker\/busybox:latest/m);
    expect(r.stdout).to.match(/^PASS debian-bookworm/m);
  });

  it('Ctrl-C during a probe: exit 130 and the machine is removed', async function () {
    this.timeout(300_000);
    // A duration no other test uses, so that only this probe's sleep is waited for.
    const child = spawn(process.execPath, [postrojBin, 'pkgprobe', '--image', 'debian-bookworm', '--check-command', 'sleep 277'], {
      env: { ...process.env, RACKER_ROOT: root, ...env },
      stdio: 'ignore',
    });
    // The exit code, or the signal that ended postroj (which would mean it did not handle it).
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    // Wait until the machine is up and the probe runs inside it: a sleep whose root is this test's.
    await waitFor(() => processesInside(root).some((p) => p.comm === 'sleep') && spawnSync('pgrep', ['-f', '^sleep 277$']).status === 0, 120_000, 'the probe to start');
    child.kill('SIGINT');
    expect(await exited).to.equal(130);
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
    expect(readFileSync('/proc/mounts', 'utf8')).not.to.contain(root);
  });

  it('matrix: the labels in the shape of a CI job matrix', async () => {
    const r = await postroj(['matrix', '--images', 'debian-bookworm,fedora-43']);
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({
      include: [
        { image: 'debian-bookworm', family: 'apt', source: 'docker.io/library/debian:bookworm' },
        { image: 'fedora-43', family: 'dnf', source: 'docker.io/library/fedora:43' },
      ],
    });
    const bad = await postroj(['matrix', '--family', 'rpm']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal('postroj: unknown family rpm (one of apt, dnf, microdnf, yum, zypper, pacman)\n');
  });

  it('pkgprobe: bad input is a usage error (exit 2) before any machine starts', async () => {
    const cases: [string[], string][] = [
      [['pkgprobe', '--image', 'debian-bookworm', '--expect-status', '99x'], 'postroj: invalid --expect-status "99x": use e.g. 200, 2xx or 200,302\n'],
      [['pkgprobe', '--image', 'debian-bookworm', '--package', './nope.deb'], 'postroj: package file not found: ./nope.deb\n'],
      [['pkgprobe', '--image', 'debian-bookworm', '--check-network', 'ftp://x'], 'postroj: invalid --check-network "ftp://x": use http(s)://… or tcp://HOST:PORT\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await postroj(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.equal(stderr);
    }
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });
});

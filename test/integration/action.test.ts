/**
 * Issue 20: action.yml's steps, run here as GitHub runs them (test/helpers/action.ts): the
 * inputs checked, setup on a set-up machine, a probe with status, body and header
 * expectations on the debian-bookworm label (from the fixture registry), the image store
 * saved to the cache and restored by a second run into an empty store, a selftest over two
 * images; outputs, job summary and annotations compared in full.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAction, type ActionRun, type RunnerOptions } from '../helpers/action.js';
import { cli, racker, repoRoot, seen, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/**
 * A package with a web service and no dependencies, so it installs without the archive's
 * packages: perl (essential in every Debian) answers 200 "hello from the action" on /.
 */
function buildDeb(dir: string): string {
  const root = path.join(dir, 'pkg');
  for (const d of ['DEBIAN', 'usr/share/action-hello', 'lib/systemd/system']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'DEBIAN/control'), 'Package: action-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: racker tests <tests@localhost>\nDescription: action test package\n');
  writeFileSync(
    path.join(root, 'usr/share/action-hello/serve.pl'),
    [
      'use IO::Socket::INET;',
      "my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die \"listen: $!\";",
      'while (my $c = $s->accept) {',
      '  my $request = <$c>;',
      '  while (my $line = <$c>) { last if $line =~ /^\\r?\\n$/ }',
      "  my $body = \"hello from the action\\n\";",
      '  print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: " . length($body) . "\\r\\n\\r\\n$body";',
      '  close $c;',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(root, 'lib/systemd/system/action-hello.service'),
    '[Unit]\nDescription=action test web server\n[Service]\nExecStart=/usr/bin/perl /usr/share/action-hello/serve.pl\n[Install]\nWantedBy=multi-user.target\n',
  );
  const deb = path.join(dir, 'action-hello_1.0_all.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

const postrojBin = path.join(repoRoot, 'dist/bin/postroj.js');
const statuses = (r: ActionRun) => r.steps.map((s) => [s.name, s.status]);
const step = (r: ActionRun, name: string) => r.steps.find((s) => s.name === name)!;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

describe('action.yml run as GitHub runs it (integration: labels from the fixture registry)', function () {
  this.timeout(300_000);
  let reg: FixtureRegistry;
  let work: string;
  let roots: string[] = [];
  let base: Omit<RunnerOptions, 'inputs' | 'env'> & { env: Record<string, string> };
  let cacheKey = '';
  const firstRun: Record<string, number> = {};
  /** A run in the job's workspace, its image store in `root`. */
  const act = (root: string, inputs: Record<string, string>) => runAction({ ...base, env: { ...base.env, RACKER_ROOT: root }, inputs });
  const newRoot = () => {
    const r = tempRoot('racker-action-');
    roots.push(r);
    return r;
  };

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    work = tempRoot('racker-action-work-');
    const bin = path.join(work, 'bin');
    const workspace = path.join(work, 'workspace');
    const runnerTemp = path.join(work, 'runner-temp');
    for (const d of [bin, workspace, runnerTemp]) mkdirSync(d);
    buildDeb(workspace);
    base = {
      workspace,
      runnerTemp,
      cacheStore: path.join(work, 'cache-service'),
      // setup.sh links racker and postroj here, not over the machine's /usr/local/bin.
      env: { RACKER_BIN_DIR: bin, PATH: `${bin}:${process.env.PATH}`, RACKER_REGISTRY_MIRROR: reg.host, NO_COLOR: '1' },
    };
  });

  after(async () => {
    await reg?.stop();
    for (const d of [...roots, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('bad inputs: one ::error:: line and exit 1 from the first step, before anything is set up', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ mode: 'probes', image: 'debian-bookworm' }, 'mode must be probe or selftest (got "probes")'],
      [{}, 'image is required with mode: probe'],
      [{ image: 'debian-bookworm,debian-trixie' }, 'image must name one image (got "debian-bookworm,debian-trixie"); for several, use mode: selftest with images'],
      [{ mode: 'selftest' }, 'images is required with mode: selftest'],
      [{ mode: 'selftest', images: 'debian-bookworm', 'check-unit': 'nginx' }, 'check-unit is for mode: probe (selftest runs a fixed probe set)'],
      [{ image: 'debian-bookworm', 'check-network': 'http://localhost/\nftp://x' }, 'check-network must be http(s)://… or tcp://HOST:PORT, one per line (got "ftp://x")'],
      [{ image: 'debian-bookworm', 'expect-status': '20O' }, 'expect-status must be like 200, 2xx or 200,302 (got "20O")'],
      [{ image: 'debian-bookworm', 'expect-header': 'Content-Type' }, "expect-header must be 'Name: regex', one per line (got \"Content-Type\")"],
      [{ image: 'debian-bookworm', timeout: '30s' }, 'timeout must be a positive whole number of seconds (got "30s")'],
      [{ mode: 'selftest', images: 'debian-bookworm', jobs: '0' }, 'jobs must be a positive whole number of machines (got "0")'],
      [{ image: 'debian-bookworm', cache: 'yes' }, 'cache must be true or false (got "yes")'],
      [{ image: 'debian-bookworm', package: 'dist/missing_1.0_all.deb' }, 'package file not found: dist/missing_1.0_all.deb'],
      [{ image: 'debian-bookworm', 'report-json': 'r.json\npassed=999' }, 'report-json must name one file (got "r.json passed=999")'],
      [{ image: 'debian-bookworm', 'report-junit': '' }, 'report-junit must name one file (got "")'],
      [{ image: 'debian-bookworm', 'expect-status': '200%0A::warning::x' }, 'expect-status must be like 200, 2xx or 200,302 (got "200%250A::warning::x")'],
    ];
    const root = newRoot();
    for (const [inputs, message] of cases) {
      const r = await act(root, inputs);
      expect(r.ok, message).to.equal(false);
      expect({ code: step(r, 'Check inputs').code, stdout: step(r, 'Check inputs').stdout, stderr: step(r, 'Check inputs').stderr }).to.deep.equal({ code: 1, stdout: `::error::${message}\n`, stderr: '' });
      expect(r.steps.slice(1).every((s) => s.status === 'skipped')).to.equal(true);
      expect(r.summary).to.equal('');
    }
    // Nothing reached the store.
    expect(readdirSync(root)).to.deep.equal([]);
  });

  it('postroj summary: a file that is not a JSON report is a usage error, one line, exit 2', async () => {
    writeFileSync(path.join(work, 'not-a-report.json'), '{"image": "x"}');
    for (const [file, stderr] of [
      [path.join(work, 'missing.json'), `postroj: cannot read ${path.join(work, 'missing.json')}: no such file\n`],
      [path.join(work, 'not-a-report.json'), `postroj: ${path.join(work, 'not-a-report.json')} is not a postroj JSON report (write one with --report-json)\n`],
    ] as const) {
      expect(seen(await cli(postrojBin, ['summary', file, '--format', 'annotations']))).to.deep.equal({ code: 2, stdout: '', stderr });
    }
  });

  it('an image that cannot be pulled: an annotation naming it, exit 16, no probe', async () => {
    const image = `${reg.host}/racker/no-such-image:latest`;
    const r = await act(newRoot(), { image, cache: 'false' });
    expect(statuses(r).slice(4)).to.deep.equal([
      ['Pull images', 'failure'],
      ['Export images', 'skipped'],
      ['Save images', 'skipped'],
      ['Probe', 'skipped'],
    ]);
    const pull = step(r, 'Pull images');
    // racker pull's own progress first (docker's "latest: Pulling from …"), then the one annotation.
    expect(pull.code).to.equal(16);
    expect(pull.stdout.split('\n').filter((l) => l.startsWith('::'))).to.deep.equal([`::error::could not pull ${image} (racker's reason is in this step's log)`]);
    expect(pull.stderr).to.contain('racker: ');
  });

  const probeInputs = {
    image: 'debian-bookworm',
    package: 'action-hello_1.0_all.deb',
    'check-unit': 'action-hello',
    'check-network': 'http://127.0.0.1:8080/',
    'expect-status': '200',
    'expect-body': 'hello from the action',
    'expect-header': 'Content-Type: ^text/plain',
    'check-command': 'test -x /usr/bin/perl',
  };

  it('probe, first run: setup is quick on a set-up machine, the label is provisioned, saved to the cache, probed; outputs and summary', async () => {
    // One quick check: this run is about provisioning and the cache (the second run probes in earnest).
    const r = await act(newRoot(), { image: 'debian-bookworm', 'check-command': 'test -x /usr/bin/perl' });
    expect(r.ok, JSON.stringify(r.steps, null, 1)).to.equal(true);
    expect(statuses(r)).to.deep.equal([
      ['Check inputs', 'success'],
      ['Set up racker and postroj', 'success'],
      ['Restore images', 'success'],
      ['Import images', 'skipped'],
      ['Pull images', 'success'],
      ['Export images', 'success'],
      ['Save images', 'success'],
      ['Probe', 'success'],
    ]);
    // Everything is installed and built already: setup.sh only links the commands.
    expect(step(r, 'Set up racker and postroj').ms).to.be.below(5000);
    expect(step(r, 'Set up racker and postroj').stderr).to.equal('setup.sh: ready (0.1.0)\n');
    expect(step(r, 'Restore images').stdout).to.match(/^Cache not found for input keys: racker-[\w.-]+-\d{4}-W\d\d-[0-9a-f]{16}$/);
    expect(step(r, 'Pull images').stderr).to.contain('debian-bookworm: Provisioning apt packages');
    expect(step(r, 'Pull images').stdout).to.equal('debian-bookworm: pulled\n');
    expect(step(r, 'Export images').stdout).to.match(/^racker cache: saved the image store \(\d+M\)\n$/);
    cacheKey = step(r, 'Save images').stdout.replace(/^Cache saved with key: /, '');
    expect(readdirSync(base.cacheStore)).to.deep.equal([cacheKey]);
    expect(readdirSync(path.join(base.cacheStore, cacheKey))).to.deep.equal(['store.tar']);
    expect(r.outputs).to.deep.equal({
      'report-junit': 'postroj-report.xml',
      'report-json': 'postroj-report.json',
      passed: '1',
      failed: '0',
      'exit-code': '0',
      'cache-hit': 'false',
    });
    expect(r.summary).to.equal('### ✓ postroj pkgprobe: 1 passed, 0 failed\n\n| check | debian-bookworm |\n|---|:---:|\n| command test -x /usr/bin/perl | ✓ |\n');
    // postroj's output between ::stop-commands:: and its token: no line of it is a workflow command.
    expect(step(r, 'Probe').stdout).to.match(
      /^::stop-commands::([0-9a-f]{32})\nPASS debian-bookworm \(\d+\.\d s\)\n {2}ok {3}command test -x \/usr\/bin\/perl \(\d+\.\d s\)\n1 passed, 0 failed\n::\1::\n$/,
    );
    expect(readFileSync(path.join(base.workspace, 'postroj-report.xml'), 'utf8')).to.contain('<testsuites name="postroj" tests="1" failures="0">');
    firstRun.pull = step(r, 'Pull images').ms;
    firstRun.images = step(r, 'Restore images').ms + step(r, 'Pull images').ms + step(r, 'Export images').ms + step(r, 'Save images').ms;
  });

  it('probe, second run in an empty store: the cache is restored, nothing provisioned, faster; a failing check is an annotation', async function () {
    // Needs the first run's cache: that run failing fails this one too, never a skip.
    expect(cacheKey, "the first run's cache key").to.not.equal('');
    const root = newRoot();
    const r = await act(root, { ...probeInputs, 'check-command': 'test -x /usr/bin/perl\necho no such file >&2; exit 3' });
    expect(statuses(r)).to.deep.equal([
      ['Check inputs', 'success'],
      ['Set up racker and postroj', 'success'],
      ['Restore images', 'success'],
      ['Import images', 'success'],
      ['Pull images', 'success'],
      ['Export images', 'skipped'],
      ['Save images', 'skipped'],
      ['Probe', 'failure'],
    ]);
    expect(step(r, 'Restore images').stdout).to.equal(`Cache restored from key: ${cacheKey}`);
    expect(step(r, 'Import images').stdout).to.equal('racker cache: restored the image store (2 images)\n');
    // The base image's digest is unchanged in the registry: the label stands, nothing is provisioned.
    expect(step(r, 'Pull images').stderr).to.contain('Status: Image is up to date for debian-bookworm');
    expect(step(r, 'Pull images').stderr).not.to.contain('Provisioning');
    expect(step(r, 'Pull images').stdout).to.equal('debian-bookworm: up to date\n');
    expect(r.outputs).to.deep.equal({
      'report-junit': 'postroj-report.xml',
      'report-json': 'postroj-report.json',
      passed: '4',
      failed: '1',
      'exit-code': '1',
      'cache-hit': 'true',
    });
    const probe = step(r, 'Probe');
    expect(probe.code).to.equal(1);
    const lines = probe.stdout.trimEnd().split('\n');
    const token = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0]!)![1];
    // The evidence is printed while commands are off; the one annotation after they are on again.
    expect(lines.slice(-2)).to.deep.equal([`::${token}::`, '::error title=postroj debian-bookworm%3A command echo no such file >&2; exit 3::exit 3%0Ano such file']);
    expect(lines.slice(1, -2).filter((l) => l.startsWith('::'))).to.deep.equal([]);
    expect(r.summary).to.equal(
      [
        '### ✗ postroj pkgprobe: 4 passed, 1 failed',
        '',
        '| check | debian-bookworm |',
        '|---|:---:|',
        '| package action-hello_1.0_all.deb | ✓ |',
        '| unit action-hello | ✓ |',
        '| http http://127.0.0.1:8080/ | ✓ |',
        '| command test -x /usr/bin/perl | ✓ |',
        '| command echo no such file &gt;&amp;2; exit 3 | ✗ |',
        '',
        '<details><summary>✗ debian-bookworm: command echo no such file &gt;&amp;2; exit 3</summary>',
        '',
        '```text',
        'exit 3',
        'no such file',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    );
    const images = step(r, 'Restore images').ms + step(r, 'Import images').ms + step(r, 'Pull images').ms;
    // The figures doc/performance.md quotes (stderr: stdout is the reporter's).
    process.stderr.write(
      `      images ready: ${seconds(firstRun.images!)} s → ${seconds(images)} s (pull ${seconds(firstRun.pull!)} s → ${seconds(step(r, 'Pull images').ms)} s, import ${seconds(step(r, 'Import images').ms)} s)\n`,
    );
    // A restored tar never goes over images already there (a self-hosted runner's store).
    const temp = path.join(work, 'temp-nonempty');
    mkdirSync(path.join(temp, 'racker-cache'), { recursive: true });
    writeFileSync(path.join(temp, 'racker-cache/store.tar'), Buffer.alloc(10240));
    const before = readFileSync(path.join(root, 'lib/repositories.json'), 'utf8');
    const cacheSh = path.join(repoRoot, 'scripts/action/cache.sh');
    const again = execFileSync('bash', [cacheSh, 'import'], { env: { ...process.env, RACKER_ROOT: root, RUNNER_TEMP: temp }, encoding: 'utf8' });
    expect(again).to.equal(`racker cache: the image store at ${root}/lib already has images; the cached one is not imported\n`);
    expect(readFileSync(path.join(root, 'lib/repositories.json'), 'utf8')).to.equal(before);
    // Provisioning is what the cache saves: the pull itself becomes a digest check.
    expect(step(r, 'Pull images').ms).to.be.below(firstRun.pull! / 10);
    expect(images).to.be.below(firstRun.images!);
  });

  it('selftest over two images, without the cache: both columns in the summary, JUnit and JSON reports', async function () {
    this.timeout(600_000);
    const images = ['debian-bookworm', `${reg.host}/racker/multilayer:latest`];
    // The second run's store, whose label is provisioned (alone, this test provisions it itself).
    const root = roots.at(-1) ?? newRoot();
    const r = await act(root, { mode: 'selftest', images: images.join('\n'), jobs: '2', cache: 'false', 'report-junit': 'selftest.xml', 'report-json': 'selftest.json' });
    expect(statuses(r)).to.deep.equal([
      ['Check inputs', 'success'],
      ['Set up racker and postroj', 'success'],
      ['Restore images', 'skipped'],
      ['Import images', 'skipped'],
      ['Pull images', 'success'],
      ['Export images', 'skipped'],
      ['Save images', 'skipped'],
      ['Probe', 'success'],
    ]);
    expect(r.outputs).to.deep.equal({ 'report-junit': 'selftest.xml', 'report-json': 'selftest.json', passed: '10', failed: '0', 'exit-code': '0', 'cache-hit': '' });
    expect(r.summary).to.equal(
      [
        '### ✓ postroj selftest: 10 passed, 0 failed',
        '',
        `| check | debian-bookworm | ${reg.host}/racker/multilayer:latest |`,
        '|---|:---:|:---:|',
        '| package curl | ✓ | ✓ |',
        '| package nginx | ✓ | ✓ |',
        '| unit nginx | ✓ | ✓ |',
        '| http http://localhost:80/ | ✓ | ✓ |',
        '| command hostnamectl \\| grep -q "Virtualization: systemd-nspawn" | ✓ | ✓ |',
        '',
      ].join('\n'),
    );
    const xml = readFileSync(path.join(base.workspace, 'selftest.xml'), 'utf8');
    expect([...xml.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => [m[1], m[2], m[3]])).to.deep.equal(images.map((i) => [i, '5', '0']));
    expect(JSON.parse(readFileSync(path.join(base.workspace, 'selftest.json'), 'utf8')).map((x: { image: string }) => x.image)).to.deep.equal(images);
    // The machines are gone.
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });
});

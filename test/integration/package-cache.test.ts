import { expect } from 'chai';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, racker, repoRoot, tempRoot, type CliResult } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const postrojBin = path.join(repoRoot, 'dist/bin/postroj.js');
const KEY = 'debian-bookworm-amd64';

/**
 * postroj's package cache with real packages from the Debian archive (`hello`: 53 kB, no
 * dependencies the image lacks) on the fixture Debian image (systemd, boots).
 */
describe('package cache (integration: pkgprobe on the fixture Debian image, packages from the Debian archive)', function () {
  this.timeout(300_000);
  let reg: FixtureRegistry;
  let root: string;
  let work: string;
  let image: string;
  let n = 0;
  const cacheDir = () => path.join(root, 'lib/cache/packages', KEY);
  const cached = () => readdirSync(cacheDir());

  /** pkgprobe --package hello; the result and the package probe's cache line from its JSON report. */
  const probe = async (): Promise<{ r: CliResult; cacheLine: string }> => {
    const report = path.join(work, `report-${n++}.json`);
    const r = await cli(postrojBin, ['pkgprobe', '--image', image, '--package', 'hello', '--check-command', 'hello', '--report-json', report], { env: { RACKER_ROOT: root } });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const evidence: string = JSON.parse(readFileSync(report, 'utf8'))[0].probes[0].evidence;
    return { r, cacheLine: evidence.split('\n').pop()! };
  };

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot();
    work = tempRoot('package-cache-work-');
    image = `${reg.host}/library/debian:bookworm`;
    expect((await racker(['pull', '-q', image], { root })).code).to.equal(0);
  });

  after(async () => {
    await reg?.stop();
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('a bad RACKER_PACKAGE_CACHE_SIZE is a usage error (exit 2) before any machine starts', async () => {
    const r = await cli(postrojBin, ['pkgprobe', '--image', image, '--package', 'hello'], { env: { RACKER_ROOT: root, RACKER_PACKAGE_CACHE_SIZE: 'lots' } });
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([2, '', 'postroj: invalid RACKER_PACKAGE_CACHE_SIZE "lots": use bytes or a size such as 500m or 2g (0 turns the cache off)\n']);
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });

  it('the second probe downloads no package and no index: the first kept them, per distribution, release and architecture', async () => {
    const first = await probe();
    expect(first.r.stdout).to.match(/^PASS /);
    expect(first.cacheLine).to.match(new RegExp(`^package cache ${KEY}: 0 from the cache \\(0B\\), \\d+ downloaded \\(\\S+\\), [1-9]\\d* kept$`));
    const hello = cached().filter((f) => /^[a-f0-9]{32}-hello_[^/]+_amd64\.deb$/.test(f));
    expect(hello, cached().join(' ')).to.have.length(1);
    const before = cached().sort();

    const second = await probe();
    // Only what is never kept (the signed InRelease files, small) comes from the mirror.
    const m = /^package cache debian-bookworm-amd64: (\d+) from the cache \(\S+\), (\d+) downloaded \((\S+)\), 0 kept$/.exec(second.cacheLine);
    expect(m, second.cacheLine).to.not.equal(null);
    expect(Number(m![1])).to.be.at.least(2); // the package index and hello, at least
    expect(m![3]).to.match(/^\d+(\.\d+)?(B|kB)$/);
    expect(cached().sort()).to.deep.equal(before);
  });

  it('system prune empties the cache and says so; two probes at once then fill it again, both pass', async () => {
    const files = cached();
    const bytes = (await Promise.all(files.map((f) => fs.stat(path.join(cacheDir(), f))))).reduce((s, st) => s + st.size, 0);
    expect(bytes).to.be.above(1_000_000); // the package index alone is megabytes
    const pruned = await racker(['system', 'prune', '-f'], { root });
    expect(pruned.code, pruned.stderr).to.equal(0);
    expect(pruned.stdout).to.contain(`Deleted package cache: ${files.length} files\n\n`);
    expect(pruned.stdout).to.match(/\nTotal reclaimed space: \d+(\.\d+)?MB\n$/);
    expect(readdirSync(path.join(root, 'lib/cache/packages'))).to.not.include(KEY);

    // Both download the same files and store them at once: the entries are renamed into place whole.
    const [a, b] = await Promise.all([probe(), probe()]);
    for (const x of [a, b]) expect(x.r.stdout.trim().split('\n').pop()).to.equal('2 passed, 0 failed');
    expect(cached().filter((f) => /-hello_[^/]+_amd64\.deb$/.test(f))).to.have.length(1);
    expect(readdirSync(path.join(root, 'lib/cache/packages/.tmp'))).to.deep.equal([]);
    expect((await racker(['ps', '-a', '-q'], { root })).stdout).to.equal('');
  });
});

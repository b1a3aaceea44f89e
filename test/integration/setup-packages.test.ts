/**
 * Issue 20: scripts/setup.sh's run-time packages install beside Docker's own packages, as
 * on GitHub's Ubuntu runners (docker-ce, containerd.io from Docker's repository), without
 * removing them; the test-only set (docker.io, which needs runc and containerd) would. GitHub
 * can't be reached from here, so a Debian chroot stands in for the runner: stand-ins for
 * containerd.io (Provides/Conflicts/Replaces containerd, runc) and docker-ce are installed in
 * it, then apt resolves each set with --simulate against the real Debian archive's lists.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { fixturesDir } from '../helpers/registry.js';

const run = promisify(execFile);
const setup = path.join(repoRoot, 'scripts/setup.sh');

/** A bookworm chroot with apt and its package lists, built once (mmdebstrap, ~30 s) and kept with the fixtures. */
async function aptChroot(): Promise<string> {
  const cached = path.join(fixturesDir(), 'apt-chroot-bookworm');
  if (existsSync(path.join(cached, 'etc/debian_version'))) return cached;
  mkdirSync(fixturesDir(), { recursive: true });
  const work = mkdtempSync(path.join(fixturesDir(), '.build-apt-chroot-'));
  try {
    await run('mmdebstrap', ['--quiet', '--variant=apt', '--skip=cleanup/apt/lists', 'bookworm', path.join(work, 'root')], { maxBuffer: 1 << 24 });
    await fs.rename(path.join(work, 'root'), cached);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  return cached;
}

/** A package with nothing in it but its control file, as a stand-in for one we can't fetch. */
async function standIn(dir: string, control: Record<string, string>): Promise<string> {
  const pkg = mkdtempSync(path.join(os.tmpdir(), 'racker-standin-'));
  mkdirSync(path.join(pkg, 'DEBIAN'));
  const fields = { Version: '1.0', Architecture: 'all', Maintainer: 'racker tests <tests@localhost>', Description: 'stand-in', ...control };
  writeFileSync(path.join(pkg, 'DEBIAN/control'), Object.entries(fields).map(([k, v]) => `${k}: ${v}\n`).join(''));
  const deb = path.join(dir, `${control.Package}.deb`);
  await run('dpkg-deb', ['--root-owner-group', '--build', pkg, deb]);
  await fs.rm(pkg, { recursive: true, force: true });
  return deb;
}

async function simulate(root: string, packages: string[]): Promise<{ installs: string[]; removals: string[] }> {
  const { stdout } = await run('chroot', [root, 'apt-get', 'install', '--simulate', '--no-install-recommends', '-y', ...packages], { maxBuffer: 1 << 24 });
  const names = (prefix: string) => stdout.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.split(' ')[1]!);
  return { installs: names('Inst '), removals: names('Remv ') };
}

describe('setup.sh package sets beside Docker\'s own packages (integration: a chroot standing in for a GitHub runner)', function () {
  this.timeout(300_000);
  let root: string;
  let runtime: string[];
  let tests: string[];

  before(async function () {
    requireIntegration(this);
    runtime = (await run('bash', [setup, '--list', 'runtime'])).stdout.trim().split(' ');
    tests = (await run('bash', [setup, '--list', 'test'])).stdout.trim().split(' ');
    const cached = await aptChroot();
    root = mkdtempSync(path.join(os.tmpdir(), 'racker-runner-'));
    await run('cp', ['-a', '--reflink=auto', `${cached}/.`, root]);
    const debs = [
      await standIn(path.join(root, 'tmp'), { Package: 'containerd.io', Provides: 'containerd, runc', Conflicts: 'containerd, runc', Replaces: 'containerd, runc' }),
      await standIn(path.join(root, 'tmp'), { Package: 'docker-ce', Depends: 'containerd.io', Conflicts: 'docker.io' }),
    ];
    await run('chroot', [root, 'dpkg', '-i', ...debs.map((d) => `/tmp/${path.basename(d)}`)]);
  });
  after(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('the run-time set installs and removes nothing: the runner keeps its Docker; no Node from the distribution', async () => {
    const { installs, removals } = await simulate(root, runtime);
    expect(removals).to.deep.equal([]);
    expect(installs).to.include.members(['systemd-container', 'skopeo', 'umoci', 'mmdebstrap']);
    expect(installs.filter((p) => /^(nodejs|docker\.io|runc|containerd)$/.test(p))).to.deep.equal([]);
  });

  it('the foreign set (qemu-user-static, for --platform) installs beside Docker\'s packages too', async () => {
    const foreign = (await run('bash', [setup, '--list', 'foreign'])).stdout.trim().split(' ');
    expect(foreign).to.deep.equal(['qemu-user-static']);
    const { installs, removals } = await simulate(root, foreign);
    expect(removals).to.deep.equal([]);
    expect(installs).to.include('qemu-user-static');
  });

  it('the test set would remove Docker\'s packages (so this check can fail): it stays behind --with-tests', async () => {
    const { removals } = await simulate(root, tests);
    expect(removals.sort()).to.deep.equal(['containerd.io', 'docker-ce']);
    expect(tests).to.include('docker.io');
    expect(runtime).not.to.include('docker.io');
  });
});

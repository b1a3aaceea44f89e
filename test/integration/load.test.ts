/**
 * Issue 8: load, concurrency and a full disk, through the CLI against a private RACKER_ROOT.
 *
 * - Load: N containers created and removed one after another, then 4 at a time (plus some
 *   `run -d` + `rm -f`); a census before and after asserts that nothing piles up: mounts,
 *   overlays, loop devices, processes, descriptors, disk, nspawn's /run directories.
 *   RACKER_LOAD_N overrides N (see DEFAULT_N for the CI choice).
 * - Concurrency: parallel runs of one image while another image is force-pulled and removed;
 *   every command succeeds or fails cleanly, and the state files stay whole.
 * - Disk full: a 64 MB tmpfs as RACKER_ROOT; a pull or import that does not fit fails with one
 *   line, leaves nothing half-written, and the store keeps working.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { racker, seen, tempRoot, type CliResult } from '../helpers/cli.js';
import { killLeftovers, leftovers, mountsUnder, processesFor, propagateDir, removeAllContainers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/**
 * 50 by default (the figure), in CI too. Measured on the 2-core machine while other
 * test runs shared it: 55-71 containers/minute one at a time, 87-108 four at a time, so about
 * 75 s for both loops and 2.5-3 minutes for this whole file.
 */
const DEFAULT_N = 50;
const N = Number(process.env.RACKER_LOAD_N || DEFAULT_N);

function ok(r: CliResult, what = ''): CliResult {
  if (r.code !== 0) throw new Error(`${what} exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** The user-visible result, compared at once so a failure shows all of it. */

/** Without the event log: it grows with every container by design, bounded by its rotation (lib/events/log.ts). */
function du(dir: string): number {
  return Number(execFileSync('du', ['-sk', '-x', '--exclude=events.log*', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function fdCount(pid: number | 'self'): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0; // gone
  }
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Overlay mounts in our mount namespace whose layers live under root (wherever they are mounted). */
function overlaysOf(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - overlay /.test(l) && l.includes(`${root}/`))
    .map((l) => l.split(' ')[4]!);
}

/** Loop devices whose backing file lives under root (racker uses none; a leak would show here). */
function loopsOf(root: string): string[] {
  const found: string[] = [];
  for (const dev of listDir('/sys/block').filter((d) => d.startsWith('loop'))) {
    const backing = (() => {
      try {
        return readFileSync(`/sys/block/${dev}/loop/backing_file`, 'utf8').trim();
      } catch {
        return '';
      }
    })();
    if (backing.startsWith(`${root}/`)) found.push(`${dev} ${backing}`);
  }
  return found;
}

interface Census {
  /** This test process's open descriptors (each racker run is a child of it). */
  fds: number;
  /** Host-wide, for the report only: other test runs share the machine. */
  hostOverlays: number;
  diskKB: number;
  /** Everything that must be empty (or back to its baseline) after the containers are gone. */
  leftovers: string[];
}

function census(root: string): Census {
  const lib = path.join(root, 'lib');
  return {
    fds: fdCount('self'),
    hostOverlays: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - overlay /.test(l)).length,
    diskKB: du(root),
    leftovers: [
      ...leftovers(root),
      ...overlaysOf(root).map((m) => `overlay ${m}`),
      ...loopsOf(root).map((l) => `loop ${l}`),
      ...listDir(path.join(lib, 'tmp')).map((n) => `scratch lib/tmp/${n}`),
      ...listDir(path.join(root, 'run', 'locks')).map((n) => `lock run/locks/${n}`),
    ],
  };
}

/** Every container ID created under root while it runs (inotify on lib/containers). */
function watchIds(root: string): { ids: Set<string>; close(): void } {
  const dir = path.join(root, 'lib', 'containers');
  mkdirSync(dir, { recursive: true });
  const ids = new Set<string>();
  const w: FSWatcher = watch(dir, (_event, name) => {
    if (name && /^[a-f0-9]{64}$/.test(name)) ids.add(name);
  });
  return { ids, close: () => w.close() };
}

/** Run jobs `width` at a time, in order of the queue. */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

describe('load, concurrency, disk full (integration: systemd-nspawn, fixture registry on 127.0.0.1)', function () {
  this.timeout(600_000);
  let reg: FixtureRegistry;
  let root: string;
  let DEBIAN: string; // systemd: boot mode
  let BUSYBOX: string; // no systemd: direct mode
  let MULTI: string;
  const allIds = new Set<string>();

  const rk = (args: string[], opts: { timeoutMs?: number; root?: string } = {}) =>
    racker(args, { root: opts.root ?? root, timeoutMs: opts.timeoutMs ?? 180_000 });

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot('racker-load-');
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    MULTI = `${reg.host}/racker/multilayer:latest`;
    await Promise.all([DEBIAN, BUSYBOX].map(async (ref) => ok(await rk(['pull', '-q', ref], { timeoutMs: 300_000 }), `pull ${ref}`)));
  });

  after(async function () {
    this.timeout(120_000);
    if (root) {
      const cleaned = await removeAllContainers(root);
      if (cleaned.length) console.log(`      (left behind and cleaned up: ${cleaned.join(', ')})`);
      await fs.rm(root, { recursive: true, force: true });
    }
    for (const id of allIds) await fs.rmdir(propagateDir(id)).catch(() => undefined);
    await reg?.stop();
  });

  describe('load', () => {
    let baseline: Census;
    let watcher: { ids: Set<string>; close(): void };
    const report: string[] = [];

    before(async () => {
      // Warm up once in each mode, so that directories racker creates on first use exist
      // in the baseline (their blocks are not a leak).
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'true']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(seen(await rk(['run', '--rm', DEBIAN, 'true']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      watcher = watchIds(root);
      baseline = census(root);
      expect(baseline.leftovers, 'baseline').to.deep.equal([]);
    });

    after(() => {
      watcher?.close();
      for (const id of watcher?.ids ?? []) allIds.add(id);
      if (report.length) console.log(`      ${report.join('\n      ')}`);
    });

    /** One container's life; every one must succeed silently. */
    async function life(i: number): Promise<string | undefined> {
      // Every 10th: a detached system container, then rm -f while it runs.
      if (i % 10 === 9) {
        const d = await rk(['run', '-d', DEBIAN]);
        if (d.code !== 0 || !/^[a-f0-9]{64}\n$/.test(d.stdout)) return `#${i} run -d: ${JSON.stringify(seen(d))}`;
        const r = await rk(['rm', '-f', d.stdout.trim()]);
        if (r.code !== 0 || r.stdout !== `${d.stdout.trim()}\n` || r.stderr) return `#${i} rm -f: ${JSON.stringify(seen(r))}`;
        return undefined;
      }
      // Every 3rd a booted Debian, the rest busybox (direct mode).
      const image = i % 3 === 2 ? DEBIAN : BUSYBOX;
      const r = await rk(['run', '--rm', image, 'true']);
      if (r.code !== 0 || r.stdout || r.stderr) return `#${i} run --rm ${image === DEBIAN ? 'debian' : 'busybox'}: ${JSON.stringify(seen(r))}`;
      return undefined;
    }

    /** The census after a phase, compared with the baseline. */
    async function expectBaseline(phase: string): Promise<void> {
      // A racker that exits has closed everything; give the kernel a moment to drop lazy umounts.
      await new Promise((r) => setTimeout(r, 200));
      const now = census(root);
      const propagate = [...watcher.ids].map(propagateDir).filter((d) => existsSync(d));
      report.push(
        `${phase}: ${watcher.ids.size} containers seen so far; test fds ${baseline.fds} → ${now.fds}; ` +
          `RACKER_ROOT ${baseline.diskKB} → ${now.diskKB} KB; host overlays ${baseline.hostOverlays} → ${now.hostOverlays}`,
      );
      expect({ leftovers: now.leftovers, propagate }, phase).to.deep.equal({ leftovers: [], propagate: [] });
      expect(listDir(path.join(root, 'lib', 'containers')), `${phase}: container records`).to.deep.equal([]);
      // A leak of one descriptor per container would show as +N; allow for a little noise.
      expect(now.fds, `${phase}: descriptors of the test process`).to.be.at.most(baseline.fds + 3);
      // Directories never shrink on ext4 once they grew to hold N entries: a few blocks of slack.
      expect(now.diskKB, `${phase}: du -sk RACKER_ROOT`).to.be.at.most(baseline.diskKB + 256);
    }

    it(`runs ${N} containers one after another (run --rm, every 10th run -d + rm -f) and leaves nothing behind`, async () => {
      const t0 = Date.now();
      const failures: string[] = [];
      for (let i = 0; i < N; i++) {
        const f = await life(i);
        if (f) failures.push(f);
      }
      const minutes = (Date.now() - t0) / 60_000;
      report.push(`sequential: ${N} containers in ${(minutes * 60).toFixed(1)} s = ${(N / minutes).toFixed(0)} containers/minute`);
      expect(failures).to.deep.equal([]);
      await expectBaseline('sequential');
    });

    it(`runs ${N} containers 4 at a time and leaves nothing behind`, async () => {
      const t0 = Date.now();
      // Descriptors of the racker processes at work, sampled: a leak inside one run shows as growth.
      let maxRackerFds = 0;
      const sampler = setInterval(() => {
        for (const p of processesFor(root)) maxRackerFds = Math.max(maxRackerFds, fdCount(p.pid));
      }, 100);
      let failures: Array<string | undefined>;
      try {
        failures = await pool(
          Array.from({ length: N }, (_, i) => () => life(i)),
          4,
        );
      } finally {
        clearInterval(sampler);
      }
      const minutes = (Date.now() - t0) / 60_000;
      report.push(
        `4-way parallel: ${N} containers in ${(minutes * 60).toFixed(1)} s = ${(N / minutes).toFixed(0)} containers/minute; ` +
          `at most ${maxRackerFds} descriptors in one racker/nspawn process`,
      );
      expect(failures.filter(Boolean)).to.deep.equal([]);
      expect(maxRackerFds, 'descriptors of one racker or nspawn process').to.be.below(100);
      await expectBaseline('4-way parallel');
    });
  });

  describe('concurrency', () => {
    it('8 parallel runs of one image, a pull --force and an rmi of another, and racing names: all succeed or fail cleanly', async () => {
      ok(await rk(['pull', '-q', MULTI], { timeoutMs: 300_000 }), 'pull multilayer');
      const same = `same-${randomBytes(3).toString('hex')}`;
      const runs = Array.from({ length: 8 }, () => rk(['run', '--rm', BUSYBOX, 'true']));
      const pull = rk(['pull', '--force', MULTI]);
      const rmi = rk(['rmi', MULTI]);
      // Four containers asking for one name: exactly one gets it.
      const named = Array.from({ length: 4 }, () => rk(['run', '-d', '--name', same, BUSYBOX, 'sleep', '300']));
      // Three with generated names: all different.
      const unnamed = Array.from({ length: 3 }, () => rk(['run', '-d', BUSYBOX, 'sleep', '300']));
      const [r, p, m, n, u] = await Promise.all([Promise.all(runs), pull, rmi, Promise.all(named), Promise.all(unnamed)]);

      for (const x of r) expect(seen(x)).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      // The pull and the rmi of the same image serialize: whichever comes second sees the other's result.
      expect(seen(p)).to.deep.include({ code: 0 });
      expect(p.stdout).to.match(/Status: Downloaded newer image for /);
      expect(seen(m)).to.deep.include({ code: 0, stderr: '' });
      expect(m.stdout).to.match(new RegExp(`^Untagged: ${MULTI.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));

      const winners = n.filter((x) => x.code === 0);
      expect(winners, `one of the four --name ${same} wins`).to.have.length(1);
      for (const x of n.filter((y) => y.code !== 0)) {
        expect(x.code).to.equal(125);
        expect(x.stdout).to.equal('');
        expect(x.stderr).to.match(new RegExp(`^racker: Conflict\\. The container name "/${same}" is already in use by container "[a-f0-9]{64}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.\n$`));
      }
      for (const x of u) expect(x.code, x.stderr).to.equal(0);

      // The state afterwards: no lock left, every state file whole, the CLI still works.
      const lib = path.join(root, 'lib');
      expect(listDir(path.join(root, 'run', 'locks')), 'locks left').to.deep.equal([]);
      expect(listDir(path.join(lib, 'tmp')), 'scratch left').to.deep.equal([]);
      const records = listDir(path.join(lib, 'containers')).map((id) => JSON.parse(readFileSync(path.join(lib, 'containers', id, 'container.json'), 'utf8')) as { name: string });
      expect(records).to.have.length(4);
      expect(new Set(records.map((c) => c.name)).size, 'names unique').to.equal(4);
      const repos = JSON.parse(readFileSync(path.join(lib, 'repositories.json'), 'utf8')) as { tags: Record<string, { id: string }> };
      for (const img of listDir(path.join(lib, 'images'))) JSON.parse(readFileSync(path.join(lib, 'images', img, 'image.json'), 'utf8'));
      JSON.parse(readFileSync(path.join(lib, 'oci', 'index.json'), 'utf8'));
      // Every tag names an image that is there.
      for (const [key, t] of Object.entries(repos.tags)) expect(existsSync(path.join(lib, 'images', t.id.replace(/^sha256:/, ''), 'image.json')), key).to.equal(true);

      const images = ok(await rk(['images', '--format', 'json']));
      const listed = images.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Repository: string; Tag: string });
      const multiListed = listed.some((i) => `${i.Repository}:${i.Tag}` === MULTI);
      expect(multiListed, 'multilayer is listed exactly when repositories.json has it').to.equal(MULTI in repos.tags);
      const ps = ok(await rk(['ps', '-a', '--format', 'json']));
      const rows = ps.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Names: string; State: string });
      expect(rows.map((x) => x.Names).sort()).to.deep.equal(records.map((c) => c.name).sort());
      expect(rows.every((x) => x.State === 'running')).to.equal(true);
      // If the image survived (pull after rmi), it runs.
      if (multiListed) ok(await rk(['run', '--rm', MULTI, 'true']), 'run multilayer');

      ok(await rk(['rm', '-f', ...records.map((c) => c.name)]));
      expect(leftovers(root)).to.deep.equal([]);
    });

    it('an rmi that comes while a pull --force of the same image unpacks waits for it (it broke the pull)', async () => {
      ok(await rk(['pull', '-q', MULTI], { timeoutMs: 300_000 }), 'pull multilayer');
      const tmp = path.join(root, 'lib', 'tmp');
      const pull = rk(['pull', '--force', MULTI], { timeoutMs: 300_000 });
      // The pull's scratch directory appears when umoci starts unpacking from the shared layout.
      const deadline = Date.now() + 240_000;
      while (!listDir(tmp).some((n) => n.startsWith('pull-'))) {
        if (Date.now() > deadline) throw new Error('the pull never reached its unpack');
        await new Promise((r) => setTimeout(r, 10));
      }
      const rmi = await rk(['rmi', MULTI]);
      const p = await pull;
      // Before the fix: "umoci exited with status 1: … open blob: no such file or directory".
      expect({ code: p.code, stderr: p.stderr }).to.deep.include({ code: 0 });
      expect(p.stderr).not.to.match(/racker:/);
      expect({ code: rmi.code, stderr: rmi.stderr }).to.deep.equal({ code: 0, stderr: '' });
      expect(rmi.stdout).to.match(/^Untagged: .*\nDeleted: sha256:[a-f0-9]{64}\n$/);
      // rmi came second: the image is gone, and with it its layout tag and blobs.
      const listed = ok(await rk(['images', '-q'])).stdout.split('\n').filter(Boolean);
      expect(listed).to.have.length(2); // debian and busybox
      const index = JSON.parse(readFileSync(path.join(root, 'lib', 'oci', 'index.json'), 'utf8')) as { manifests: unknown[] };
      expect(index.manifests).to.have.length(2);
      expect(listDir(path.join(root, 'run', 'locks'))).to.deep.equal([]);
      expect(listDir(tmp)).to.deep.equal([]);
    });
  });

  describe('disk full (a 64 MB tmpfs as RACKER_ROOT)', () => {
    let small: string;
    let work: string;
    let mounted = false;

    before(function () {
      small = mkdtempSync(path.join(os.tmpdir(), 'racker-full-'));
      work = mkdtempSync(path.join(os.tmpdir(), 'racker-full-work-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', small]);
      mounted = true;
    });

    after(async function () {
      this.timeout(60_000);
      if (small) {
        // killLeftovers also detaches mounts under small, the tmpfs itself included.
        await killLeftovers(small);
        if (mounted && mountsUnder(small).includes(small)) execFileSync('umount', ['-l', small]);
        await fs.rm(small, { recursive: true, force: true });
      }
      if (work) await fs.rm(work, { recursive: true, force: true });
    });

    /** One line on stderr, racker's own, saying the disk is full; exit 1 (pull, import); nothing on stdout but progress. */
    function expectNoSpace(r: CliResult): void {
      expect(r.code, r.stderr).to.equal(1);
      const lines = r.stderr.split('\n').filter(Boolean);
      const errors = lines.filter((l) => l.startsWith('racker: '));
      expect(errors, r.stderr).to.have.length(1);
      expect(errors[0]).to.match(/no space left on device/i);
      expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
    }

    /** Nothing half-written: no scratch, no lock, no image, no unreferenced blobs. */
    function expectClean(images: string[]): void {
      const lib = path.join(small, 'lib');
      expect(listDir(path.join(lib, 'tmp')), 'lib/tmp').to.deep.equal([]);
      expect(listDir(path.join(small, 'run', 'locks')), 'run/locks').to.deep.equal([]);
      expect(listDir(path.join(lib, 'images')).length, 'image dirs').to.equal(images.length);
      expect(mountsUnder(small).filter((m) => m !== small)).to.deep.equal([]);
    }

    async function imageNames(): Promise<string[]> {
      const r = ok(await rk(['images', '--format', 'json'], { root: small }));
      return r.stdout.split('\n').filter(Boolean).map((l) => {
        const i = JSON.parse(l) as { Repository: string; Tag: string };
        return `${i.Repository}:${i.Tag}`;
      });
    }

    it('a pull that does not fit fails with one line, leaves nothing, and the store still works', async () => {
      const r = await rk(['pull', DEBIAN], { root: small });
      expectNoSpace(r);
      // The 51 MB layer fits, its 150 MB unpacked do not: umoci fails, racker says what is left.
      expect(r.stderr.split('\n').filter((l) => l.startsWith('racker: '))).to.deep.equal([
        `racker: no space left on device in ${small}/lib: ${DEBIAN} did not fit, and nothing of it was kept`,
      ]);
      expect(await imageNames()).to.deep.equal([]);
      expectClean([]);
      // The failed image's blobs went too: the space is free again for the next pull.
      const used = du(small);
      expect(used, 'KB used after the failed pull').to.be.below(1024);

      ok(await rk(['pull', '-q', BUSYBOX], { root: small }), 'pull busybox into the small root');
      expect(await imageNames()).to.deep.equal([BUSYBOX]);
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'true'], { root: small }))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expectClean([BUSYBOX]);
    });

    it('an import of a tarball larger than the space fails with one line and leaves nothing', async () => {
      const tree = path.join(work, 'big');
      mkdirSync(path.join(tree, 'etc'), { recursive: true });
      await fs.writeFile(path.join(tree, 'etc', 'hostname'), 'big\n');
      // Incompressible, larger than the whole tmpfs.
      await fs.writeFile(path.join(tree, 'blob'), randomBytes(80 * 1024 * 1024));
      const tarball = path.join(work, 'big.tar');
      execFileSync('tar', ['-C', tree, '-cf', tarball, '.']);
      await fs.rm(tree, { recursive: true, force: true });

      const r = await rk(['import', tarball, 'local/big:1'], { root: small });
      expectNoSpace(r);
      expect(r.stderr).to.match(new RegExp(`^(Extracting: .*\n)*racker: cannot extract ${tarball.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOSPC: no space left on device, write\n$`));
      expect(r.stdout).to.equal('');
      expect(await imageNames()).to.deep.equal([BUSYBOX]);
      expectClean([BUSYBOX]);
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'true'], { root: small }))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    });
  });
});

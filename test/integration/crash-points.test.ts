/**
 * Issue 22: racker killed (SIGKILL, as by a power cut or kill -9) at every phase of pull,
 * import, create, start and rm, through the fault-injection seam RACKER_CRASH_AT
 * (lib/state/crash-point.ts). After each: the store reads consistent (images, ps -a, volume ls
 * answer, nothing half-made is listed as made), the same command run again succeeds, and
 * `system prune -f` / `volume prune -f` leave nothing: no mount, no process, no scratch
 * directory, no stray temporary file, no lock, no half-removed container.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, promises as fs, readdirSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { type CliResult, racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/** Every file under dir whose name says it is an atomic write's temporary (".NAME.tmp-PID-…"). */
function strayTemporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /^\..+\.tmp-\d+-[0-9a-f]+$/.test(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('crash points (integration, issue 22): racker SIGKILLed at every phase', function () {
  let reg: FixtureRegistry;
  let work: string;
  let root: string;
  let BUSYBOX: string;

  const rk = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => racker(args, { root, env });
  const crashAt = async (phase: string, args: string[]): Promise<void> => {
    const r = await rk(args, { RACKER_CRASH_AT: phase });
    expect([r.code, r.signal], `racker ${args.join(' ')} at ${phase}: ${r.stderr}`).to.deep.equal([null, 'SIGKILL']);
  };
  const answers = async (args: string[]): Promise<string> => {
    const r = await rk(args);
    expect(r.code, `racker ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const tagged = async () => (await answers(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter((l) => l && l !== '<none>:<none>');
  /** After the fault and the repair: nothing of racker's own is left in the store or on the host. */
  const clean = async () => {
    expect(await answers(['system', 'prune', '-f'])).to.be.a('string');
    expect(await answers(['volume', 'prune', '-f'])).to.be.a('string');
    expect({
      leftovers: leftovers(root),
      scratch: ls(path.join(root, 'lib/tmp')),
      locks: ls(path.join(root, 'run/locks')),
      temporaries: strayTemporaries(path.join(root, 'lib')),
      volumes: (await answers(['volume', 'ls', '-q'])).trim(),
    }).to.deep.equal({ leftovers: [], scratch: [], locks: [], temporaries: [], volumes: '' });
  };

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    work = tempRoot('racker-crash-');
    // A tiny root filesystem tarball for the import phases.
    const fs0 = path.join(work, 'rootfs');
    mkdirSync(path.join(fs0, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', path.join(fs0, 'bin/busybox'));
    symlinkSync('busybox', path.join(fs0, 'bin/sh'));
    execFileSync('tar', ['-C', fs0, '-cf', path.join(work, 'rootfs.tar'), '.']);
  });
  beforeEach(() => {
    root = tempRoot();
  });
  afterEach(async () => {
    await killLeftovers(root);
    await fs.rm(root, { recursive: true, force: true });
  });
  after(async () => {
    await reg?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  for (const phase of ['pull:copied', 'pull:unpacked', 'pull:stored', 'write:repositories.json']) {
    it(`pull killed at ${phase}: no image by that name, the next pull completes it`, async () => {
      await crashAt(phase, ['pull', BUSYBOX]);
      // The old tags file (none) or the new one, never half of one; the name is not there yet.
      expect(await tagged()).to.deep.equal([]);
      expect(await answers(['pull', '-q', BUSYBOX])).to.equal(`${BUSYBOX}\n`);
      expect(await tagged()).to.deep.equal([BUSYBOX]);
      expect((await answers(['images', '-q'])).trim().split('\n')).to.have.length(1);
      expect(await answers(['run', '--rm', BUSYBOX, 'echo', 'usable'])).to.equal('usable\n');
      await clean();
    });
  }

  for (const phase of ['import:extracted', 'import:stored', 'write:repositories.json']) {
    it(`import killed at ${phase}: no image by that name, the next import completes`, async () => {
      await crashAt(phase, ['import', path.join(work, 'rootfs.tar'), 'local/crash:1']);
      expect(await tagged()).to.deep.equal([]);
      expect((await answers(['import', path.join(work, 'rootfs.tar'), 'local/crash:1'])).trim()).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(await tagged()).to.deep.equal(['local/crash:1']);
      await clean();
      // Killed after the image was stored and before it was named, an import leaves a whole
      // image without a name (docker's dangling <none>, as its own killed import would): image
      // prune removes it; before that point, nothing at all.
      const all = (await answers(['images', '-q', '-a'])).trim().split('\n');
      expect(all).to.have.length(phase === 'import:extracted' ? 1 : 2);
      await answers(['image', 'prune', '-f']);
      expect((await answers(['images', '-q', '-a'])).trim().split('\n')).to.have.length(1);
      expect(await tagged()).to.deep.equal(['local/crash:1']);
    });
  }

  it('create killed with its anonymous volume made but no record: not listed, the name free, the volume pruned', async () => {
    await answers(['pull', '-q', BUSYBOX]);
    await crashAt('create:volumes', ['create', '--name', 'half', '-v', '/data', BUSYBOX, 'true']);
    expect(await answers(['ps', '-a', '-q'])).to.equal('');
    expect((await answers(['create', '--name', 'half', BUSYBOX, 'true'])).trim()).to.match(/^[0-9a-f]{64}$/);
    expect(await answers(['rm', 'half'])).to.equal('half\n');
    await clean();
  });

  it('start killed with the overlay mounted: ps -a says it is not running, system prune -f removes it, nothing mounted', async () => {
    await answers(['pull', '-q', BUSYBOX]);
    await crashAt('start:mounted', ['run', '--rm', '--name', 'cut', BUSYBOX, 'true']);
    const ps = await answers(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
    expect(ps).to.match(/^cut (exited|created)\n$/);
    expect(await answers(['ps', '-q'])).to.equal('');
    await clean();
    expect(await answers(['ps', '-a', '-q'])).to.equal('');
    expect(await answers(['run', '--rm', '--name', 'cut', BUSYBOX, 'echo', 'again'])).to.equal('again\n');
  });

  for (const phase of ['rm:unmounted', 'rm:renamed']) {
    it(`rm killed at ${phase}: never listed half-removed, rm or prune finishes it`, async () => {
      await answers(['pull', '-q', BUSYBOX]);
      await answers(['create', '--name', 'gone', BUSYBOX, 'true']);
      await crashAt(phase, ['rm', 'gone']);
      const listed = await answers(['ps', '-a', '--format', '{{.Names}}']);
      // Before the rename the container is whole (rm again works); after it, it is gone from view.
      if (phase === 'rm:unmounted') {
        expect(listed).to.equal('gone\n');
        expect(await answers(['rm', 'gone'])).to.equal('gone\n');
      } else {
        expect(listed).to.equal('');
      }
      await clean();
      expect(ls(path.join(root, 'lib/containers'))).to.deep.equal([]);
      expect((await answers(['create', '--name', 'gone', BUSYBOX, 'true'])).trim()).to.match(/^[0-9a-f]{64}$/);
    });
  }
});

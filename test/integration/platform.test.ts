/**
 * Issue 17 item 1: --platform. A multi-platform index (linux/amd64 and linux/arm64 busybox,
 * scripts/build-foreign-fixtures.sh busybox) in a fixture registry; the arm64 one runs
 * through binfmt_misc's qemu-user-static (scripts/setup.sh --with-tests registers it).
 * The booted arm64 Debian and its apt probe take minutes: test/foreign (npm run test:foreign).
 */
import { expect } from 'chai';
import { promises as fs, readFileSync } from 'node:fs';

/** qemu-aarch64 in binfmt_misc with the F flag (scripts/setup.sh --with-tests registers it). */
function arm64Emulated(): boolean {
  try {
    return /^flags: .*F/m.test(readFileSync('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf8'));
  } catch {
    return false;
  }
}
import { ok, racker, seen, tempRoot } from '../helpers/cli.js';
import { docker, dockerClient, startService } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('platforms (integration: a multi-platform index, arm64 through qemu-user-static)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let multi: string;

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    needs(this, arm64Emulated(), 'qemu-aarch64 is not registered with binfmt_misc with the F flag');
    reg = await startRegistry({ foreign: 'busybox' });
    multi = `${reg.host}/racker/multiarch:latest`;
  });

  beforeEach(() => {
    root = tempRoot();
  });

  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  after(async () => {
    await reg?.stop();
  });

  it('pull --platform linux/arm64 picks arm64 from the index; inspect and images say so', async () => {
    const pulled = ok(await racker(['pull', '-q', '--platform', 'linux/arm64', multi], { root }));
    expect(pulled.stdout).to.equal(`${multi}\n`);
    const inspect = ok(await racker(['image', 'inspect', '--format', '{{.Architecture}} {{.Os}}', multi], { root }));
    expect(inspect.stdout).to.equal('arm64 linux\n');
    const images = ok(await racker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Platform}} {{.Architecture}}'], { root }));
    expect(images.stdout).to.equal(`${multi} linux/arm64 arm64\n`);
    // The same platform again: up to date; another one: pulled.
    const again = ok(await racker(['pull', '--platform', 'linux/arm64', multi], { root }));
    expect(again.stdout).to.contain(`Status: Image is up to date for ${multi}`);
    ok(await racker(['pull', '-q', '--platform', 'linux/amd64', multi], { root }));
    const amd = ok(await racker(['image', 'inspect', '--format', '{{.Architecture}}', multi], { root }));
    expect(amd.stdout).to.equal('amd64\n');
  });

  it('run --platform linux/arm64 runs the arm64 binary emulated: uname -m is aarch64, and no warning', async () => {
    const r = await racker(['run', '--rm', '--platform', 'linux/arm64', multi, 'uname', '-m'], { root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('aarch64\n');
    expect(r.stderr).not.to.contain('WARNING');
    // The tag now holds arm64; --platform linux/amd64 pulls the other one, as docker does.
    const amd = await racker(['run', '--rm', '--platform', 'linux/amd64', multi, 'uname', '-m'], { root });
    expect(amd.code, amd.stderr).to.equal(0);
    expect(amd.stdout).to.equal('x86_64\n');
    expect(ok(await racker(['ps', '-aq'], { root })).stdout).to.equal(''); // --rm removed both
  });

  it('run of a foreign image without --platform runs it emulated with docker\'s warning', async () => {
    ok(await racker(['pull', '-q', '--platform', 'linux/arm64', multi], { root }));
    const r = await racker(['run', '--rm', multi, 'uname', '-m'], { root });
    expect(seen(r)).to.deep.equal({
      code: 0,
      stdout: 'aarch64\n',
      stderr:
        "WARNING: The requested image's platform (linux/arm64) does not match the detected host platform (linux/amd64) and no specific platform was requested\n",
    });
  });

  it('the docker CLI through the Engine API: run --platform linux/arm64 pulls and runs arm64; a bad platform is refused', async function () {
    const bin = dockerClient();
    needs(this, bin !== undefined, 'no docker CLI');
    if (!bin) return;
    const service = await startService(root);
    try {
      const r = await docker(bin, service.host, ['run', '--rm', '--platform', 'linux/arm64', multi, 'uname', '-m']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('aarch64\n');
      const inspect = await docker(bin, service.host, ['image', 'inspect', '--format', '{{.Architecture}}/{{.Os}}', multi]);
      expect(inspect.stdout).to.equal('arm64/linux\n');
      const bad = await docker(bin, service.host, ['pull', '--platform', 'linux/mips', multi]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('invalid platform "linux/mips": architecture "mips" is not supported');
    } finally {
      await service.stop();
    }
  });

  it('an index without the platform: one line naming the ones it has; nothing stored', async () => {
    const r = await racker(['pull', '--platform', 'linux/s390x', multi], { root });
    expect(r.code).to.equal(1); // docker pull's code for a refused pull (run and create: 125)
    expect(r.stderr).to.equal(`racker: image ${multi} has no linux/s390x platform; it has linux/amd64, linux/arm64\n`);
    const run = await racker(['run', '--rm', '--platform', 'linux/riscv64', multi, 'true'], { root });
    expect(run.code).to.equal(125);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('racker:'))).to.deep.equal([
      `racker: image ${multi} has no linux/riscv64 platform; it has linux/amd64, linux/arm64`,
    ]);
    expect(ok(await racker(['images', '-q'], { root })).stdout).to.equal('');
  });

  it('a single-platform image of another platform is refused, and not kept', async () => {
    const ref = `${reg.host}/racker/amd64only:latest`;
    const r = await racker(['pull', '--platform', 'linux/arm64', ref], { root });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`racker: image ${ref} is linux/amd64 only, not linux/arm64\n`);
    expect(ok(await racker(['images', '-q'], { root })).stdout).to.equal('');
  });

  it('bad platforms: one line, 125 for run and create, 1 for pull (docker\'s codes), before anything is pulled', async () => {
    const supported = 'racker runs linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/ppc64le, linux/s390x, linux/riscv64, linux/386';
    const mips = await racker(['run', '--rm', '--platform', 'linux/mips', multi, 'true'], { root });
    expect(seen(mips)).to.deep.equal({ code: 125, stdout: '', stderr: `racker: invalid platform "linux/mips": architecture "mips" is not supported (${supported})\n` });
    const create = await racker(['create', '--platform', 'windows/amd64', multi], { root });
    expect(seen(create)).to.deep.equal({ code: 125, stdout: '', stderr: `racker: invalid platform "windows/amd64": operating system "windows" is not supported (${supported})\n` });
    const foo = await racker(['pull', '--platform', 'foo', multi], { root });
    expect(seen(foo)).to.deep.equal({ code: 1, stdout: '', stderr: `racker: invalid platform "foo": architecture "foo" is not supported (${supported})\n` });
    expect(ok(await racker(['images', '-q'], { root })).stdout).to.equal('');
  });
});

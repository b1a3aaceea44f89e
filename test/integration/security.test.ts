/**
 * Issues 25 and 26: a container must not reach the host's files through a path it names.
 * Images built to attack (test/helpers/hostile-images.ts) and processes inside running
 * containers plant links to a host directory that holds a secret; through the CLI, the
 * Engine API and postroj, in boot and direct modes, nothing of the host is read, written,
 * mounted or blocked. doc/security.md lists each path and the test that covers it.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, racker, repoRoot, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers, mountsUnder } from '../helpers/containers.js';
import { docker, dockerClient, dockerConfigDir, startService, type Service } from '../helpers/docker.js';
import { HostileImages } from '../helpers/hostile-images.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const SECRET = 'HOST SECRET\n';


describe('security: paths a container names stay inside it (integration, hostile images)', function () {
  this.timeout(300_000);
  let reg: FixtureRegistry;
  let images: HostileImages;
  let root: string;
  /** A host directory the attacks aim at: it holds the secret, and nothing may appear in it. */
  let H: string;
  let BOOT: string; // debian with systemd: /hostroot -> /, /etc/resolv.conf, /etc/hosts, /etc/hostname -> H/…, /vol -> /hostroot/H/voldest, WorkingDir /hostroot/H
  let DIRECT: string; // busybox: /up -> ../../../.., /lib -> /lib, /usr -> H, WorkingDir /up/H
  let POSTROJ_FILE: string; // debian: /var/tmp/postroj-hostile_1.0_all.deb -> H/victim
  let POSTROJ_DIR: string; // debian: /var/tmp -> M (a host directory outside /var/tmp, so no loop inside)
  let M: string;
  const rk = (args: string[], opts: { timeoutMs?: number } = {}) => racker(args, { root, timeoutMs: opts.timeoutMs ?? 120_000 });

  /** The host directory holds exactly what the test put there. */
  function hostUntouched(extra: string[] = []): void {
    expect(readdirSync(H).sort()).to.deep.equal(['host-secret.txt', ...extra].sort());
    expect(readFileSync(path.join(H, 'host-secret.txt'), 'utf8')).to.equal(SECRET);
  }

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry({ writable: true });
    root = tempRoot('racker-security-');
    H = mkdtempSync('/var/tmp/racker-hostile-');
    writeFileSync(path.join(H, 'host-secret.txt'), SECRET);
    images = new HostileImages(reg);
    BOOT = await images.build({
      base: 'library/debian:bookworm',
      name: 'hostile/boot:1',
      workingDir: `/hostroot${H}`,
      planted: [
        { path: 'hostroot', symlink: '/' },
        { path: 'etc/resolv.conf', symlink: `${H}/resolv.conf` },
        { path: 'etc/hosts', symlink: `/hostroot${H}/hosts` },
        { path: 'etc/hostname', symlink: `${H}/hostname` }, // racker writes the container's hostname there
        { path: 'vol', symlink: `/hostroot${H}/voldest` },
      ],
    });
    DIRECT = await images.build({
      base: 'racker/busybox:latest',
      name: 'hostile/direct:1',
      workingDir: `/up${H}`,
      planted: [
        { path: 'up', symlink: '../../../../../../..' },
        { path: 'lib', symlink: '/lib' }, // the host's /lib/systemd/systemd, if looked up on the host
        { path: 'usr', symlink: H }, // a directory on the host, nothing in the image
      ],
    });
    POSTROJ_FILE = await images.build({
      base: 'library/debian:bookworm',
      name: 'hostile/postroj-file:1',
      planted: [{ path: 'var/tmp/postroj-hostile_1.0_all.deb', symlink: `${H}/victim` }],
    });
    M = mkdtempSync('/mnt/racker-hostile-');
    POSTROJ_DIR = await images.build({ base: 'library/debian:bookworm', name: 'hostile/postroj-dir:1', planted: [{ path: 'var/tmp', symlink: M }] });
    for (const ref of [BOOT, DIRECT]) expect(seen(await rk(['pull', '-q', ref]))).to.deep.equal({ code: 0, stdout: `${ref}\n`, stderr: '' });
  });

  after(async function () {
    this.timeout(120_000);
    if (root) {
      const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await rk(['rm', '-f', ...ids]);
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    images?.remove();
    await reg?.stop();
    if (H) await fs.rm(H, { recursive: true, force: true });
    if (M) await fs.rm(M, { recursive: true, force: true });
  });

  it("boot mode: the image's WorkingDir through /hostroot -> / is the container's directory (made, as docker does), never the host's", async () => {
    const r = await rk(['run', '--rm', '--hostname', 'inside', BOOT, 'sh', '-c', 'pwd; cat host-secret.txt 2>/dev/null || echo no-secret; ls -A; cat /etc/hostname']);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: `${H}\nno-secret\ninside\n`, stderr: '' });
    // nspawn's --resolv-conf=copy-host met /etc/resolv.conf -> H/resolv.conf, racker's /etc/hostname
    // a link to H/hostname: nothing written on the host.
    hostUntouched();
    expect(leftovers(root)).to.deep.equal([]);
  });

  it("direct mode: WorkingDir through a relative link that climbs out; /usr and systemd are asked inside the image", async () => {
    const r = await rk(['run', '--rm', DIRECT, 'sh', '-c', 'pwd; cat host-secret.txt 2>/dev/null || echo no-secret; test -d /usr && ! test -L /usr && ls -A /usr && echo usr-empty-dir']);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: `${H}\nno-secret\nusr-empty-dir\n`, stderr: '' });
    // /lib -> /lib reaches the host's systemd only on the host: the image has none, so it runs directly.
    const meta = JSON.parse((await rk(['inspect', DIRECT])).stdout)[0];
    expect(meta.Racker.Systemd).to.equal(false);
    hostUntouched();
  });

  it('a volume whose destination is a link to a host directory is mounted inside the container', async () => {
    const src = mkdtempSync(path.join(root, 'vol-'));
    writeFileSync(path.join(src, 'file'), 'from the volume\n');
    const r = await rk(['run', '--rm', '-w', '/', '-v', `${src}:/vol`, BOOT, 'sh', '-c', `cat /vol/file; cat ${H}/voldest/file`]);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: 'from the volume\nfrom the volume\n', stderr: '' });
    hostUntouched();
    expect(mountsUnder(H)).to.deep.equal([]);
  });

  describe('a process inside a running container', () => {
    const name = 'planted';
    before(async () => {
      expect((await rk(['run', '-d', '--name', name, BOOT])).code).to.equal(0);
      expect((await rk(['exec', '-w', '/', name, 'ln', '-s', '/', '/abs'])).code).to.equal(0);
    });
    after(async () => {
      await rk(['rm', '-f', name]);
    });

    it('exec -w through a link it planted: the container\'s directory, or 126 as docker says; never the host\'s', async () => {
      expect(seen(await rk(['exec', '-w', '/abs/etc', name, 'pwd']))).to.deep.equal({ code: 0, stdout: '/etc\n', stderr: '' });
      // H exists inside too (the image's WorkingDir, made at start), without the host's file.
      expect(seen(await rk(['exec', '-w', `/abs${H}`, name, 'cat', 'host-secret.txt']))).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: 'cat: host-secret.txt: No such file or directory\n',
      });
      expect(seen(await rk(['exec', '-w', `/abs${H}/missing`, name, 'pwd']))).to.deep.equal({
        code: 126,
        stdout: '',
        stderr: `racker: chdir to cwd ("/abs${H}/missing") set in the container failed: no such file or directory\n`,
      });
      // With -t the command's terminal comes from script(1) on the host: same directory, no warning.
      expect(seen(await rk(['exec', '-t', '-w', '/abs/etc', name, 'pwd']))).to.deep.equal({ code: 0, stdout: '/etc\r\n', stderr: '' });
      hostUntouched();
    });

    it('a path it swaps between a directory and a link to /, in a loop, while racker resolves it', async function () {
      this.timeout(180_000);
      const inside = `/d.real${H}`;
      const setup = `mkdir -p ${inside} && echo INSIDE > ${inside}/host-secret.txt && ` + `(while :; do mv -T /d.real /d; mv -T /d /d.real; ln -s / /d; rm /d; done) </dev/null >/dev/null 2>&1 & echo started`;
      expect(seen(await rk(['exec', '-w', '/', name, 'sh', '-c', setup]))).to.deep.equal({ code: 0, stdout: 'started\n', stderr: '' });
      const outcomes = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const r = await rk(['exec', '-w', `/d${H}`, name, 'cat', 'host-secret.txt']);
        const key = r.code === 0 ? r.stdout.trim() : `exit ${r.code}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
      expect([...outcomes.keys()], JSON.stringify([...outcomes])).not.to.include('HOST SECRET');
      expect([...outcomes.keys()].every((k) => ['INSIDE', 'exit 126', 'exit 1'].includes(k)), JSON.stringify([...outcomes])).to.equal(true);
      hostUntouched();
    });

    it('-u with a FIFO as /etc/passwd: one line at once, instead of a read that never returns', async () => {
      expect((await rk(['exec', '-w', '/', name, 'sh', '-c', 'mv /etc/passwd /etc/passwd.real && mkfifo /etc/passwd'])).code).to.equal(0);
      try {
        const r = await rk(['exec', '-u', 'nobody', name, 'true'], { timeoutMs: 20_000 });
        expect(seen(r)).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: /etc/passwd in the container is not a regular file\n' });
      } finally {
        await rk(['exec', '-w', '/', name, 'sh', '-c', 'rm /etc/passwd && mv /etc/passwd.real /etc/passwd']);
      }
      expect(seen(await rk(['exec', '-w', '/', '-u', 'nobody', name, 'id', '-un']))).to.deep.equal({ code: 0, stdout: 'nobody\n', stderr: '' });
    });
  });

  describe('through the Engine API (the docker CLI against racker system service)', () => {
    let service: Service;
    let bin: string;
    let config: { dir: string; remove(): void };
    const dk = (args: string[], opts: { timeoutMs?: number } = {}) => docker(bin, service.host, args, { configDir: config.dir, ...opts });

    before(async function () {
      const found = dockerClient();
      if (!found) throw new Error('the docker client is not installed (run ./scripts/setup.sh: docker.io)');
      bin = found;
      config = dockerConfigDir();
      service = await startService(root);
    });
    after(async () => {
      await dk(['rm', '-f', 'api-planted']).catch(() => undefined);
      await service?.stop();
      config?.remove();
    });

    it('WorkingDir of the image, of run -w and of exec -w resolve inside the container', async () => {
      expect(seen(await dk(['run', '--rm', BOOT, 'sh', '-c', 'pwd; cat host-secret.txt 2>/dev/null || echo no-secret']))).to.deep.equal({
        code: 0,
        stdout: `${H}\nno-secret\n`,
        stderr: '',
      });
      expect(seen(await dk(['run', '--rm', '-w', `/hostroot${H}/sub`, BOOT, 'pwd']))).to.deep.equal({ code: 0, stdout: `${H}/sub\n`, stderr: '' });
      expect((await dk(['run', '-d', '--name', 'api-planted', BOOT])).code).to.equal(0);
      expect(seen(await dk(['exec', '-w', `/hostroot${H}`, 'api-planted', 'cat', 'host-secret.txt']))).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: 'cat: host-secret.txt: No such file or directory\n',
      });
      hostUntouched();
    });

    it('exec -u against a FIFO /etc/passwd, six at once: each answers, and the service keeps serving everyone', async function () {
      this.timeout(120_000);
      expect((await dk(['exec', '-w', '/', 'api-planted', 'sh', '-c', 'mv /etc/passwd /etc/passwd.real && mkfifo /etc/passwd'])).code).to.equal(0);
      const tries = await Promise.all(Array.from({ length: 6 }, () => dk(['exec', '-u', 'nobody', 'api-planted', 'true'], { timeoutMs: 30_000 })));
      for (const t of tries) {
        expect(t.code, t.stderr).to.equal(125);
        expect(t.stderr).to.include('/etc/passwd in the container is not a regular file');
      }
      expect(seen(await dk(['exec', '-w', '/', 'api-planted', 'echo', 'still serving'], { timeoutMs: 30_000 }))).to.deep.equal({ code: 0, stdout: 'still serving\n', stderr: '' });
      const ps = await dk(['ps', '-q', '--no-trunc'], { timeoutMs: 30_000 });
      expect(ps.code).to.equal(0);
      expect(ps.stdout.split('\n').filter(Boolean)).to.have.length(1);
    });
  });

  describe('postroj pkgprobe --package FILE (copied into the machine before it boots)', () => {
    let work: string;
    let deb: string;
    const postroj = (args: string[]) => cli(path.join(repoRoot, 'dist/bin/postroj.js'), args, { env: { RACKER_ROOT: root }, timeoutMs: 600_000 });

    before(() => {
      work = mkdtempSync(path.join(root, 'deb-'));
      const pkg = path.join(work, 'pkg');
      mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
      mkdirSync(path.join(pkg, 'usr/share/hostile'), { recursive: true });
      writeFileSync(path.join(pkg, 'DEBIAN/control'), 'Package: hostile\nVersion: 1.0\nArchitecture: all\nMaintainer: racker tests <tests@localhost>\nDescription: postroj copy-in test\n');
      writeFileSync(path.join(pkg, 'usr/share/hostile/ok'), 'installed\n');
      deb = path.join(work, 'hostile_1.0_all.deb');
      execFileSync('dpkg-deb', ['--root-owner-group', '--build', pkg, deb], { stdio: 'ignore' });
      writeFileSync(path.join(H, 'victim'), 'victim\n');
    });
    after(() => {
      // The victim is the test's own file, not a leftover of racker's.
      return fs.rm(path.join(H, 'victim'), { force: true });
    });

    for (const [what, image] of [
      ['the package file\'s name is a link to a host file', () => POSTROJ_FILE],
      ['/var/tmp is a link to a host directory', () => POSTROJ_DIR],
    ] as const) {
      it(`${what}: the package lands inside the machine and installs; the host file is untouched`, async function () {
        this.timeout(600_000);
        const r = await postroj(['pkgprobe', '--image', image(), '--package', deb, '--check-command', 'test -f /usr/share/hostile/ok']);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(readFileSync(path.join(H, 'victim'), 'utf8')).to.equal('victim\n');
        hostUntouched(['victim']);
        expect(readdirSync(M)).to.deep.equal([]);
      });
    }
  });
});

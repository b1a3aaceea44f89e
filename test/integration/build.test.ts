/**
 * racker build with buildah: a Containerfile on the fixture Debian image that installs a
 * package (a .deb made here, installed by apt from the context: no network needed) and
 * copies a file; another file name (-f) on top of racker's own built image; a build error;
 * Ctrl-C. Each against a private RACKER_ROOT, so buildah's storage is the test's own.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, promises as fs, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { ok, racker, rackerBin, tempRoot, waitFor } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { startService } from '../helpers/docker.js';
import http from 'node:http';

function requireBuildah(ctx: Mocha.Context): void {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' });
  } catch {
    if (process.env.RACKER_INTEGRATION === 'required') throw new Error('buildah is not installed (run ./scripts/setup.sh)');
    ctx.skip();
  }
}

/** A tiny package: /usr/bin/racker-hello prints a line. */
function makeDeb(dir: string): void {
  const pkg = path.join(dir, 'pkg');
  mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(pkg, 'usr/bin'), { recursive: true });
  writeFileSync(path.join(pkg, 'DEBIAN/control'), 'Package: racker-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: racker <racker@example.org>\nDescription: says hello\n');
  writeFileSync(path.join(pkg, 'usr/bin/racker-hello'), '#!/bin/sh\necho "hello from a package"\n');
  chmodSync(path.join(pkg, 'usr/bin/racker-hello'), 0o755);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', pkg, path.join(dir, 'racker-hello_1.0_all.deb')], { stdio: 'ignore' });
  execFileSync('rm', ['-rf', pkg]);
}

describe('build (integration)', function () {
  let root: string;
  let work: string;
  let registry: FixtureRegistry;

  before(async function () {
    requireIntegration(this);
    requireBuildah(this);
    registry = await startRegistry();
    root = tempRoot();
    work = tempRoot('racker-build-');
    makeDeb(work);
    writeFileSync(path.join(work, 'greeting.txt'), 'hello from the context\n');
    writeFileSync(
      path.join(work, 'Containerfile'),
      [
        `FROM ${registry.host}/library/debian:bookworm`,
        'ARG WHO=nobody',
        'COPY racker-hello_1.0_all.deb /tmp/',
        'RUN apt-get install -y -q /tmp/racker-hello_1.0_all.deb && rm /tmp/racker-hello_1.0_all.deb',
        'COPY greeting.txt /etc/greeting.txt',
        'RUN echo "built for $WHO" > /etc/who',
        'CMD ["racker-hello"]',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await registry?.stop();
    // c/storage leaves its overlay home mounted (as podman's is): unmount what is under root.
    if (root) for (const m of mountsUnder(root).reverse()) execFileSync('umount', ['-l', m]);
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  const images = async () => ok(await racker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], { root })).stdout;
  const scratch = () => readdirSync(path.join(root, 'lib/tmp'));

  it('builds a Containerfile with a package and a file on the fixture image; the image runs and is removable', async () => {
    const r = await racker(['build', '-t', 'local/built:1', '--build-arg', 'WHO=racker', work], { root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^sha256:[a-f0-9]{64}\n$/);
    // buildah's step lines stream to stderr, as docker build's do.
    expect(r.stderr).to.contain(`STEP 1/7: FROM ${registry.host}/library/debian:bookworm`).and.to.contain('STEP 7/7: CMD ["racker-hello"]');
    const id = r.stdout.trim().slice('sha256:'.length, 'sha256:'.length + 12);
    expect(await images()).to.contain(`local/built:1 ${id}`);
    const run = await racker(['run', '--rm', 'local/built:1', 'sh', '-c', 'cat /etc/greeting.txt /etc/who; racker-hello; dpkg-query -W racker-hello'], { root });
    expect({ code: run.code, stdout: run.stdout }).to.deep.equal({ code: 0, stdout: 'hello from the context\nbuilt for racker\nhello from a package\nracker-hello\t1.0\n' });
    // The image's CMD came along.
    expect(ok(await racker(['run', '--rm', 'local/built:1'], { root })).stdout).to.equal('hello from a package\n');
    expect(scratch()).to.deep.equal([]);
  });

  it('-f names another file, -q prints only the ID, and racker’s own image is a base', async () => {
    writeFileSync(path.join(work, 'Other.containerfile'), 'FROM local/built:1\nRUN racker-hello > /etc/said\n');
    const r = await racker(['build', '-q', '-f', path.join(work, 'Other.containerfile'), '-t', 'local/built:2', work], { root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^sha256:[a-f0-9]{64}\n$/);
    expect(r.stderr).to.not.contain('STEP');
    expect(ok(await racker(['run', '--rm', 'local/built:2', 'cat', '/etc/said'], { root })).stdout).to.equal('hello from a package\n');
    const rmi = await racker(['rmi', 'local/built:2'], { root });
    expect(rmi.code, rmi.stderr).to.equal(0);
    expect(await images()).to.not.contain('local/built:2');
  });

  it('a failing step exits 1 with buildah’s message and stores nothing', async () => {
    writeFileSync(path.join(work, 'Bad.containerfile'), 'FROM local/built:1\nRUN false\n');
    const before = await images();
    const r = await racker(['build', '-f', path.join(work, 'Bad.containerfile'), '-t', 'local/bad', work], { root });
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trim().split('\n').pop()).to.equal('racker: building at STEP "RUN false": exit status 1');
    expect(await images()).to.equal(before);
    expect(scratch()).to.deep.equal([]);
  });

  it('Ctrl-C stops buildah and the step it runs, and leaves nothing', async () => {
    writeFileSync(path.join(work, 'Slow.containerfile'), 'FROM local/built:1\nRUN echo started; sleep 300\n');
    const before = await images();
    const child = spawn(process.execPath, [rackerBin, 'build', '-f', path.join(work, 'Slow.containerfile'), '-t', 'local/slow', work], {
      env: { ...process.env, RACKER_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => stderr.includes('started'), 60_000, 'the RUN step to start');
    child.kill('SIGINT');
    expect(await exited).to.equal(130);
    expect(stderr).to.match(/racker: build interrupted\n$/);
    // No process of the step is left (it would be a sleep 300 under buildah's storage).
    const sleepers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() === 'sleep 300');
    expect(sleepers).to.deep.equal([]);
    const containers = execFileSync('buildah', [`--root=${root}/lib/buildah`, `--runroot=${root}/run/buildah`, 'containers', '--quiet'], { encoding: 'utf8' });
    expect(containers).to.equal('');
    expect(await images()).to.equal(before);
    expect(scratch()).to.deep.equal([]);
  });

  it('POST /build: a context tar in, {"stream"} lines and {"aux":{"ID"}} out; a failing step is the stream\'s error line', async () => {
    const ctxDir = path.join(work, 'api-context');
    mkdirSync(ctxDir);
    writeFileSync(path.join(ctxDir, 'Dockerfile'), 'FROM local/built:1\nCOPY note /etc/note\n');
    writeFileSync(path.join(ctxDir, 'Bad'), 'FROM local/built:1\nRUN false\n');
    writeFileSync(path.join(ctxDir, 'note'), 'from the API\n');
    const body = execFileSync('tar', ['-C', ctxDir, '-c', '.']);
    const service = await startService(root);
    const post = (query: string) =>
      new Promise<{ status: number; lines: Record<string, unknown>[] }>((resolve, reject) => {
        const req = http.request({ socketPath: service.socket, method: 'POST', path: `/v1.41/build?${query}`, headers: { 'content-type': 'application/x-tar', 'content-length': body.length } }, (res) => {
          let text = '';
          res.on('data', (b: Buffer) => (text += b.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, lines: text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const good = await post('t=local/api:1');
      expect(good.status).to.equal(200);
      expect(good.lines[0]).to.deep.equal({ stream: 'STEP 1/2: FROM local/built:1\n' });
      const aux = good.lines.find((l) => 'aux' in l) as { aux: { ID: string } } | undefined;
      expect(aux?.aux.ID).to.match(/^sha256:[a-f0-9]{64}$/);
      expect(good.lines.slice(-2)).to.deep.equal([{ stream: `Successfully built ${aux!.aux.ID.slice(7, 19)}\n` }, { stream: 'Successfully tagged local/api:1\n' }]);
      expect(ok(await racker(['run', '--rm', 'local/api:1', 'cat', '/etc/note'], { root })).stdout).to.equal('from the API\n');
      const bad = await post('t=local/api-bad&dockerfile=Bad');
      expect(bad.status).to.equal(200);
      // dockerd's words for a failed RUN, which clients match on.
      const message = "The command '/bin/sh -c false' returned a non-zero code: 1";
      expect(bad.lines[bad.lines.length - 1]).to.deep.equal({ errorDetail: { message }, error: message });
      expect(await images()).to.not.contain('local/api-bad');
    } finally {
      await service.stop();
    }
  });

  it('stores a build as its base’s files plus its layers: deletions, opaque directories, replaced entries and modes are the image’s; the base’s files stay as they were', async () => {
    const debian = `${registry.host}/library/debian:bookworm`;
    writeFileSync(
      path.join(work, 'Layers.containerfile'),
      [
        `FROM ${debian}`,
        // A deletion, a directory emptied and made anew (opaque), a mode and a content change of base files.
        'RUN rm /etc/debian_version && rm -rf /etc/apt && mkdir /etc/apt && echo only > /etc/apt/only && chmod 600 /etc/issue && echo more >> /etc/motd',
        // A later layer undoing an earlier one's work, and a directory replaced by a file and by a link.
        'RUN mkdir /d && echo 1 > /d/f && echo temp > /tmp/t',
        'RUN rm -rf /d /tmp/t /opt && ln -s /etc /d && echo file > /opt',
        '',
      ].join('\n'),
    );
    const check = 'test ! -e /etc/debian_version && ls /etc/apt && stat -c %a /etc/issue && tail -n 1 /etc/motd && readlink /d && test ! -e /tmp/t && cat /opt';
    const r = await racker(['--debug', 'build', '-q', '-f', path.join(work, 'Layers.containerfile'), '-t', 'local/layers:1', work], { root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/racker: \+\d+ms 3 new layer\(s\) applied on the base's rootfs/);
    const built = await racker(['run', '--rm', 'local/layers:1', 'sh', '-c', check], { root });
    expect({ code: built.code, stdout: built.stdout }).to.deep.equal({ code: 0, stdout: 'only\n600\nmore\n/etc\nfile\n' });
    // The layer cache: the same file again is buildah's cached image, already stored.
    const cached = await racker(['build', '-q', '-f', path.join(work, 'Layers.containerfile'), work], { root });
    expect({ code: cached.code, stdout: cached.stdout }).to.deep.equal({ code: 0, stdout: r.stdout });
    // --no-cache builds the steps again; the base is already in buildah's storage (named
    // even), so it is neither copied nor tagged again.
    const again = await racker(['--debug', 'build', '-q', '--no-cache', '-f', path.join(work, 'Layers.containerfile'), '-t', 'local/layers:2', work], { root });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.not.equal(r.stdout);
    expect(again.stderr).to.not.match(/skopeo copy| tag | from --pull/);
    expect(again.stderr).to.match(/3 new layer\(s\) applied/);
    // The built images shared the base's files: removing them leaves the base as it was.
    for (const tag of ['local/layers:1', 'local/layers:2']) ok(await racker(['rmi', tag], { root }));
    const base = await racker(['run', '--rm', debian, 'sh', '-c', 'test -s /etc/debian_version && echo version; ls /etc/apt | grep -c sources.list; stat -c %a /etc/issue; tail -n 1 /etc/motd | grep -c more; test -d /opt && test ! -e /d && echo ok'], { root });
    expect({ code: base.code, stdout: base.stdout }).to.deep.equal({ code: 0, stdout: 'version\n2\n644\n0\nok\n' });
    expect(scratch()).to.deep.equal([]);
  });

  it('an imported image as a base is copied into buildah’s storage once, then found again under its racker ID', async () => {
    // An import's config is made by racker from its rootfs, so buildah's ID for it is not racker's.
    const busybox = `${registry.host}/racker/busybox:latest`;
    ok(await racker(['pull', '-q', busybox], { root }));
    const id = ok(await racker(['image', 'inspect', '--format', '{{.Id}}', busybox], { root })).stdout.trim().replace('sha256:', '');
    const tarball = path.join(work, 'busybox-rootfs.tar');
    execFileSync('tar', ['-C', path.join(root, 'lib/images', id, 'rootfs'), '-cf', tarball, '.']);
    ok(await racker(['import', tarball, 'local/imported:1'], { root }));
    const build = async (n: number) => {
      writeFileSync(path.join(work, `Imported${n}.containerfile`), `FROM local/imported:1\nRUN echo ${n} > /n\n`);
      const r = await racker(['--debug', 'build', '-q', '-f', path.join(work, `Imported${n}.containerfile`), '-t', `local/on-imported:${n}`, work], { root });
      expect(r.code, r.stderr).to.equal(0);
      return r.stderr;
    };
    expect(await build(1)).to.match(/skopeo copy/);
    const second = await build(2);
    // Not copied again, and found by its names without a buildah run.
    expect(second).to.not.match(/skopeo copy|tar --create| tag /);
    expect(second).to.match(/1 new layer\(s\) applied/);
    expect(ok(await racker(['run', '--rm', 'local/on-imported:2', 'cat', '/n'], { root })).stdout).to.equal('2\n');
  });

  it('a killed build’s overlay left mounted in its scratch directory is unmounted and removed by the next build', async () => {
    // A scratch directory named after a process that is gone, with a read-only overlay in it.
    const dead = path.join(root, 'lib/tmp/build-4194000-0badc0de');
    for (const d of ['merged', 'a', 'b']) mkdirSync(path.join(dead, d), { recursive: true });
    writeFileSync(path.join(dead, 'a/file'), 'kept\n');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dead}/a:${dead}/b`, path.join(dead, 'merged')]);
    try {
      writeFileSync(path.join(work, 'Missing.containerfile'), 'FROM 127.0.0.1:9/racker/missing:1\n');
      const r = await racker(['build', '-f', path.join(work, 'Missing.containerfile'), work], { root });
      expect(r.code, r.stderr).to.not.equal(0);
      expect(mountsUnder(dead)).to.deep.equal([]);
      expect(scratch()).to.deep.equal([]);
    } finally {
      for (const m of mountsUnder(dead).reverse()) execFileSync('umount', ['-l', m]);
    }
  });

  it('refuses a context that is not a directory, in one line with exit 1 (docker’s)', async () => {
    const r = await racker(['build', '-t', 'x', path.join(work, 'missing')], { root });
    expect({ code: r.code, stderr: r.stderr }).to.deep.equal({ code: 1, stderr: `racker: unable to prepare context: path "${path.join(work, 'missing')}" not found\n` });
  });
});

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, promises as fs, readdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';

/** Every entry below dir with its type, mode, size and mtime: "unchanged" means this is equal. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false }) ?? { mode: 0, size: 0, mtimeMs: 0, isDirectory: () => false };
      out.push(`${path.relative(dir, p)} ${st.mode} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe('run from a URL, tarball, directory or archive (integration)', function () {
  let root: string;
  let work: string;
  let server: http.Server;
  let base: string;
  /** What the server saw: "GET /path" plus " conditional" when it carried a validator. */
  let requests: string[] = [];
  let flakyLeft = 0;
  const OS_RELEASE = 'ID=tiny\nNAME="Tiny"\n';
  const ETAG = '"tiny-1"';
  const MODIFIED = 'Mon, 07 Dec 2026 10:00:00 GMT';

  const run = (args: string[]) => racker(args, { root, cwd: work });
  const imageIds = async () => (await run(['images', '-q', '--no-trunc'])).stdout;

  before(async function () {
    requireIntegration(this);
    root = tempRoot();
    work = tempRoot('racker-sources-');
    // A tiny root filesystem: static busybox, its sh and cat, an os-release.
    const fs0 = path.join(work, 'rootfs');
    mkdirSync(path.join(fs0, 'bin'), { recursive: true });
    mkdirSync(path.join(fs0, 'etc'));
    copyFileSync('/bin/busybox', path.join(fs0, 'bin/busybox'));
    for (const applet of ['sh', 'cat', 'rm', 'true']) symlinkSync('busybox', path.join(fs0, 'bin', applet));
    await fs.writeFile(path.join(fs0, 'etc/os-release'), OS_RELEASE);
    execFileSync('tar', ['-C', fs0, '-cJf', path.join(work, 'rootfs.tar.xz'), '.']);
    const whole = await fs.readFile(path.join(work, 'rootfs.tar.xz'));
    await fs.writeFile(path.join(work, 'truncated.tar.xz'), whole.subarray(0, Math.floor(whole.length / 2)));
    mkdirSync(path.join(work, 'notroot/etc'), { recursive: true });

    server = http.createServer((req, res) => {
      const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
      requests.push(`${req.method} ${req.url}${conditional ? ' conditional' : ''}`);
      if (req.url === '/flaky.tar.xz' && flakyLeft-- > 0) return void res.writeHead(503).end();
      if (req.url !== '/rootfs.tar.xz' && req.url !== '/flaky.tar.xz') return void res.writeHead(404).end();
      if (req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === MODIFIED) return void res.writeHead(304, { etag: ETAG }).end();
      res.writeHead(200, { 'content-length': whole.length, etag: ETAG, 'last-modified': MODIFIED });
      createReadStream(path.join(work, 'rootfs.tar.xz')).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    requests = [];
  });

  after(async () => {
    server?.close();
    if (root) await racker(['system', 'prune', '-f'], { root });
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('runs a rootfs tarball from a URL once imported; the next run asks the server conditionally and reuses it', async () => {
    const url = `${base}/rootfs.tar.xz`;
    const first = await run(['run', '--rm', url, 'cat', '/etc/os-release']);
    expect({ code: first.code, stdout: first.stdout }, first.stderr).to.deep.equal({ code: 0, stdout: OS_RELEASE });
    expect(requests).to.deep.equal(['GET /rootfs.tar.xz']);
    const ids = await imageIds();
    expect(ids.split('\n').filter(Boolean)).to.have.length(1);

    const second = await run(['run', '--rm', url, 'cat', '/etc/os-release']);
    expect({ code: second.code, stdout: second.stdout }, second.stderr).to.deep.equal({ code: 0, stdout: OS_RELEASE });
    expect(requests).to.deep.equal(['GET /rootfs.tar.xz', 'GET /rootfs.tar.xz conditional']);
    expect(await imageIds()).to.equal(ids);

    // pull --force (run's --pull always): fetched again without validators; the same content is the same image.
    const again = await run(['pull', '--force', url]);
    expect(again.code, again.stderr).to.equal(0);
    expect(requests.at(-1)).to.equal('GET /rootfs.tar.xz');
    expect(await imageIds()).to.equal(ids);

    const listed = await run(['images']);
    expect(listed.stdout.split('\n')[0]).to.match(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SOURCE$/);
    expect(listed.stdout).to.match(new RegExp(`^localhost/source/[a-f0-9]{16}\\s+latest\\s+${ids.slice(7, 19)}\\s.*\\s${url.replace(/[.]/g, '\\.')}$`, 'm'));
    const rmi = await run(['rmi', url]);
    expect(rmi.code, rmi.stderr).to.equal(0);
    expect(rmi.stdout).to.match(/^Untagged: localhost\/source\/[a-f0-9]{16}:latest\nDeleted: sha256:[a-f0-9]{64}\n$/);
    expect(await imageIds()).to.equal('');
  });

  it('tries a download again after a server error', async () => {
    flakyLeft = 1;
    const r = await run(['pull', `${base}/flaky.tar.xz`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(requests).to.deep.equal(['GET /flaky.tar.xz', 'GET /flaky.tar.xz']);
    expect((await run(['rmi', `${base}/flaky.tar.xz`])).code).to.equal(0);
  });

  it('runs a local tarball by its path, and reuses it while size, mtime or content are the same', async () => {
    const first = await run(['run', '--rm', './rootfs.tar.xz', 'cat', '/etc/os-release']);
    expect({ code: first.code, stdout: first.stdout }, first.stderr).to.deep.equal({ code: 0, stdout: OS_RELEASE });
    const ids = await imageIds();
    // A new mtime with the same content: read again, not imported again.
    const t = new Date(Date.now() + 5000);
    utimesSync(path.join(work, 'rootfs.tar.xz'), t, t);
    const second = await run(['pull', path.join(work, 'rootfs.tar.xz')]);
    expect(second.code, second.stderr).to.equal(0);
    expect(await imageIds()).to.equal(ids);
    expect((await run(['rmi', './rootfs.tar.xz'])).code).to.equal(0);
  });

  it('runs a directory in place through the overlay and leaves it unchanged', async () => {
    const dir = path.join(work, 'rootfs');
    const before = snapshot(dir);
    const r = await run(['run', '--rm', './rootfs', 'sh', '-c', 'echo new > /etc/new; rm /bin/cat; echo changed >> /etc/os-release; cat /etc/os-release']);
    expect({ code: r.code, stdout: r.stdout }, r.stderr).to.deep.equal({ code: 0, stdout: `${OS_RELEASE}changed\n` });
    expect(snapshot(dir)).to.deep.equal(before);
    // The image's root is the directory itself (a link), nothing copied.
    const id = (await imageIds()).trim().slice(7);
    expect(await fs.readlink(path.join(root, 'lib/images', id, 'rootfs'))).to.equal(dir);
    const rmi = await run(['rmi', dir]);
    expect(rmi.code, rmi.stderr).to.equal(0);
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it('runs a docker save archive (one of several, by reference), an OCI archive and an OCI layout', async () => {
    // Two images with different configs, saved together by racker; skopeo converts one of them.
    expect((await run(['import', './rootfs.tar.xz', 'local/tiny:1'])).code).to.equal(0);
    expect((await run(['import', './rootfs.tar.xz', 'local/other:1', '--change', 'ENV WHO=other'])).code).to.equal(0);
    expect((await run(['save', '-o', 'two.tar', 'local/tiny:1', 'local/other:1'])).code).to.equal(0);
    execFileSync('skopeo', ['copy', '-q', 'docker-archive:two.tar:local/tiny:1', 'oci-archive:one-oci.tar:v1'], { cwd: work });
    execFileSync('skopeo', ['copy', '-q', 'docker-archive:two.tar:local/tiny:1', 'oci:layout:v1'], { cwd: work });
    const before = (await run(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;

    const picked = await run(['run', '--rm', 'docker-archive:two.tar:local/other:1', 'sh', '-c', 'echo $WHO; cat /etc/os-release']);
    expect({ code: picked.code, stdout: picked.stdout }, picked.stderr).to.deep.equal({ code: 0, stdout: `other\n${OS_RELEASE}` });
    for (const source of ['oci-archive:./one-oci.tar', `oci:${path.join(work, 'layout')}:v1`]) {
      const r = await run(['run', '--rm', source, 'cat', '/etc/os-release']);
      expect({ source, code: r.code, stdout: r.stdout }, r.stderr).to.deep.equal({ source, code: 0, stdout: OS_RELEASE });
    }
    // The archive's names are not loaded as tags: only the three source keys are new.
    const after = (await run(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((l) => l && !before.includes(l));
    expect(after.map((l) => l.replace(/[a-f0-9]{16}/, 'H'))).to.deep.equal(['localhost/source/H:latest', 'localhost/source/H:latest', 'localhost/source/H:latest']);
    expect((await run(['rmi', 'local/tiny:1', 'local/other:1'])).code).to.equal(0);
  });

  it('refuses each bad source with one line and exit 125, storing nothing', async () => {
    const ids = await imageIds();
    const cases: [string, string][] = [
      [`${base}/missing.tar.xz`, `racker: download of ${base}/missing.tar.xz failed: HTTP 404 Not Found\n`],
      ['./truncated.tar.xz', `racker: cannot decompress ${work}/truncated.tar.xz: xz exited with status 1: xz: (stdin): Unexpected end of input\n`],
      ['./no-such-dir', `racker: ${work}/no-such-dir: no such file or directory\n`],
      ['./notroot', `racker: ${work}/notroot is not a root filesystem (it has no /bin, /usr/bin or /sbin)\n`],
      ['docker-archive:two.tar', `racker: docker-archive:${work}/two.tar holds 2 images: name one as docker-archive:${work}/two.tar:REFERENCE\n`],
    ];
    for (const [source, stderr] of cases) {
      const r = await run(['run', '--rm', source, 'true']);
      expect({ source, code: r.code, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ source, code: 125, stdout: '', stderr });
    }
    expect(await imageIds()).to.equal(ids);
    expect(readdirSync(path.join(root, 'lib/tmp'))).to.deep.equal([]);
  });

  it('keeps at most RACKER_SOURCE_CACHE sources; system prune removes them all', async () => {
    const dir = await run(['pull', './rootfs']);
    expect(dir.code, dir.stderr).to.equal(0);
    // One source at most: the directory (least recently used) makes room for the tarball.
    const pulled = await racker(['pull', './rootfs.tar.xz'], { root, cwd: work, env: { RACKER_SOURCE_CACHE: '1' } });
    expect(pulled.code, pulled.stderr).to.equal(0);
    expect(pulled.stdout).to.match(/^localhost\/source\/[a-f0-9]{16}:latest\n$/);
    expect((await run(['images', '--format', '{{.Source}}'])).stdout).to.equal(`${work}/rootfs.tar.xz\n`);
    const prune = await run(['system', 'prune', '-f']);
    expect(prune.code, prune.stderr).to.equal(0);
    expect(prune.stdout).to.match(new RegExp(`^Deleted cached sources:\\nlocalhost/source/[a-f0-9]{16}:latest \\(${work}/rootfs\\.tar\\.xz\\)\\n\\n`));
    expect(await imageIds()).to.equal('');
    expect(existsSync(path.join(work, 'rootfs/bin/busybox'))).to.equal(true);
  });
});

import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, promises as fs, readdirSync, statSync, copyFileSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { racker, rackerBin, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';

describe('import (integration)', function () {
  let root: string;
  let work: string;
  let server: http.Server;
  let base: string;
  let failuresLeft = 0;

  before(async function () {
    requireIntegration(this);
    root = tempRoot();
    work = tempRoot('racker-import-');
    // A tiny root filesystem: static busybox and a setuid file.
    const fs0 = path.join(work, 'rootfs');
    mkdirSync(path.join(fs0, 'bin'), { recursive: true });
    mkdirSync(path.join(fs0, 'etc'));
    copyFileSync('/bin/busybox', path.join(fs0, 'bin/busybox'));
    symlinkSync('busybox', path.join(fs0, 'bin/sh'));
    await fs.writeFile(path.join(fs0, 'etc/hostname'), 'imported\n');
    await fs.writeFile(path.join(fs0, 'bin/suid'), '#!/bin/sh\n');
    await fs.chmod(path.join(fs0, 'bin/suid'), 0o4755);
    await fs.chown(path.join(fs0, 'etc/hostname'), 1234, 1234);
    execFileSync('tar', ['-C', fs0, '-cJf', path.join(work, 'rootfs.tar.xz'), '.']);
    execFileSync('tar', ['-C', fs0, '-czf', path.join(work, 'rootfs.tar.gz'), '.']);

    server = http.createServer((req, res) => {
      if (req.url === '/flaky.tar.gz' && failuresLeft-- > 0) return void res.writeHead(500).end();
      const file = path.join(work, path.basename(req.url ?? ''));
      if (!req.url?.endsWith('.tar.gz') || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fs.copyFile(path.join(work, 'rootfs.tar.gz'), path.join(work, 'flaky.tar.gz'));
  });

  after(async () => {
    server?.close();
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('imports a .tar.xz file under a name, keeping modes and ownership', async () => {
    const r = await racker(['import', path.join(work, 'rootfs.tar.xz'), 'local/bb:1'], { root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^sha256:[a-f0-9]{64}\n$/);
    const id = r.stdout.trim().slice(7);
    const rootfs = path.join(root, 'lib/images', id, 'rootfs');
    expect(statSync(path.join(rootfs, 'bin/busybox')).mode & 0o7777).to.equal(statSync('/bin/busybox').mode & 0o7777);
    expect(statSync(path.join(rootfs, 'bin/suid')).mode & 0o7777).to.equal(0o4755);
    expect(statSync(path.join(rootfs, 'etc/hostname')).uid).to.equal(1234);
    const images = await racker(['images'], { root });
    expect(images.stdout.split('\n')[1]).to.match(new RegExp(`^local/bb\\s+1\\s+${id.slice(0, 12)}\\s`));
  });

  it('on a terminal, download and extraction draw progress bars; in a pipe, plain output only', async () => {
    // script(1) gives racker a terminal (stdout and stderr both go to it).
    // (Not spawnSync: the test's own HTTP server must keep answering.)
    const child = spawn('script', ['--quiet', '--return', '--command', `${process.execPath} ${rackerBin} import ${base}/rootfs.tar.gz local/tty`, '/dev/null'], {
      env: { ...process.env, RACKER_ROOT: root, RACKER_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let shown = '';
    child.stdout.on('data', (b: Buffer) => (shown += b.toString()));
    const status = await new Promise((r) => child.on('close', r));
    expect(status, shown).to.equal(0);
    // The last drawing of each bar is full; the line is cleared before the image ID.
    const text = JSON.stringify(shown);
    expect(shown, text).to.match(/\r\x1b\[KDownloading \[=+\]  ([\d.]+MB)\/\1\r/);
    expect(shown, text).to.match(/\r\x1b\[KExtracting \[=+\]  ([\d.]+MB)\/\1\r\x1b\[Ksha256:[a-f0-9]{64}\r\n$/);

    const piped = await racker(['import', `${base}/rootfs.tar.gz`, 'local/piped'], { root });
    expect(piped.code).to.equal(0);
    expect(piped.stderr).to.equal('');
  });

  it('imports from a URL, retrying a server error', async () => {
    failuresLeft = 1;
    const r = await racker(['import', `${base}/flaky.tar.gz`, 'local/url'], { root });
    expect(r.code, r.stderr).to.equal(0);
    const id = r.stdout.trim().slice(7);
    expect(existsSync(path.join(root, 'lib/images', id, 'rootfs/etc/hostname'))).to.equal(true);
    expect(failuresLeft).to.equal(-1);
  });

  it('a missing URL or file is one line and exit 1, and leaves nothing', async () => {
    const before = readdirSync(path.join(root, 'lib/images')).length;
    const url = await racker(['import', `${base}/nope.tar.gz`], { root });
    expect(url.code).to.equal(1);
    expect(url.stderr).to.equal(`racker: download of ${base}/nope.tar.gz failed: HTTP 404\n`);
    const file = await racker(['import', '/nonexistent.tar'], { root });
    expect(file.code).to.equal(1);
    expect(file.stderr).to.equal('racker: open /nonexistent.tar: no such file or directory\n');
    expect(readdirSync(path.join(root, 'lib/images')).length).to.equal(before);
    expect(readdirSync(path.join(root, 'lib/tmp'))).to.deep.equal([]);
  });

  it("an ostree/bootc-style image's links into /var lead somewhere when the container starts, the image untouched", async () => {
    // As Fedora's bootc images ship them: /root, /home and /usr/local are links whose targets
    // only tmpfiles would make at boot; this image never boots (no systemd: direct mode).
    const fs1 = path.join(work, 'ostree-rootfs');
    execFileSync('cp', ['-a', path.join(work, 'rootfs'), fs1]);
    mkdirSync(path.join(fs1, 'var'));
    mkdirSync(path.join(fs1, 'usr'));
    symlinkSync('var/roothome', path.join(fs1, 'root'));
    symlinkSync('var/home', path.join(fs1, 'home'));
    symlinkSync('../var/usrlocal', path.join(fs1, 'usr/local'));
    execFileSync('tar', ['-C', fs1, '-cf', path.join(work, 'ostree.tar'), '.']);
    expect((await racker(['import', path.join(work, 'ostree.tar'), 'local/ostree'], { root })).code).to.equal(0);
    const r = await racker(['run', '--rm', '-w', '/root', 'local/ostree', 'sh', '-c', 'pwd -P; stat -L -c %a /root; ls -d /home/. /usr/local/.'], { root });
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, '/var/roothome\n700\n/home/.\n/usr/local/.\n', '']);
    // Made in the container's overlay, never in the image.
    const images = JSON.parse((await racker(['image', 'inspect', 'local/ostree'], { root })).stdout);
    const rootfs = path.join(root, 'lib/images', images[0].Id.replace(/^sha256:/, ''), 'rootfs');
    expect([existsSync(path.join(rootfs, 'bin/busybox')), existsSync(path.join(rootfs, 'var/roothome'))]).to.deep.equal([true, false]);
  });

  it('refuses a tarball with an entry escaping the root, writing nothing outside', async () => {
    const evil = path.join(work, 'evil.tar');
    // GNU tar keeps "../" members when told to (-P); racker must refuse them.
    mkdirSync(path.join(work, 'e/inner'), { recursive: true });
    await fs.writeFile(path.join(work, 'e/escaped'), 'x');
    execFileSync('tar', ['-C', path.join(work, 'e/inner'), '-P', '-cf', evil, '../escaped']);
    const r = await racker(['import', evil, 'local/evil'], { root });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^racker: refusing to import: entry "\.\.\/escaped" escapes the root\n$/);
    expect(existsSync(path.join(root, 'lib/escaped'))).to.equal(false);
    expect(existsSync(path.join(root, 'lib/tmp/escaped'))).to.equal(false);
    expect(readdirSync(path.join(root, 'lib/tmp'))).to.deep.equal([]);
  });
});

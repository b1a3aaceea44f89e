import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import {
  DEFAULT_CACHE_BYTES,
  cacheKey,
  cacheable,
  chooseEvictions,
  entryName,
  parseCacheSize,
  throughCache,
} from '../../lib/postroj/package-cache/policy.js';
import { startCacheProxy } from '../../lib/postroj/package-cache/proxy.js';
import { PackageCache, clearPackageCache, evictPackages } from '../../lib/postroj/package-cache/store.js';
import { pathsUnder } from '../../lib/state/paths.js';

describe('package cache: the pure parts', () => {
  it('the key: distribution, release (codename, else version, else rolling) and architecture', () => {
    const bookworm = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
    expect(cacheKey(bookworm, 'amd64')).to.equal('debian-bookworm-amd64');
    expect(cacheKey(bookworm.replace(/bookworm/g, 'trixie'), 'amd64')).to.equal('debian-trixie-amd64');
    expect(cacheKey(bookworm, 'arm64')).to.equal('debian-bookworm-arm64');
    expect(cacheKey('NAME="Fedora Linux"\nVERSION_ID=43\nID=fedora\n', 'amd64')).to.equal('fedora-43-amd64');
    expect(cacheKey("ID='opensuse-leap'\nVERSION_ID='15.6'\n", 'amd64')).to.equal('opensuse-leap-15.6-amd64');
    expect(cacheKey('NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n', 'amd64')).to.equal('arch-rolling-amd64');
    // An image's os-release is its own: nothing in it leaves the cache directory.
    expect(cacheKey('ID="../../etc"\nVERSION_ID="1/../x"\n', 'amd64')).to.equal('etc-1_.._x-amd64');
    expect(cacheKey('NAME=nothing\n', 'amd64')).to.equal(undefined);
    expect(cacheKey('', 'amd64')).to.equal(undefined);
  });

  it('kept: package files and apt by-hash indexes over http; never Release files, queries or https', () => {
    const deb = 'http://deb.debian.org/debian/pool/main/n/nginx/nginx-light_1.22.1-9%2bdeb12u12_all.deb';
    const hash = 'a'.repeat(64);
    expect(cacheable('apt', deb)).to.deep.equal({ kind: 'package' });
    expect(cacheable('apt', `http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/${hash}`)).to.deep.equal({ kind: 'by-hash', sha256: hash });
    expect(cacheable('apt', 'http://deb.debian.org/debian/dists/bookworm/InRelease')).to.equal(undefined);
    expect(cacheable('apt', 'http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.xz')).to.equal(undefined);
    expect(cacheable('apt', 'http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/by-hash/MD5Sum/0123')).to.equal(undefined);
    expect(cacheable('apt', deb.replace('http:', 'https:'))).to.equal(undefined);
    expect(cacheable('apt', `${deb}?token=1`)).to.equal(undefined);
    expect(cacheable('apt', 'http://x/pool/../a.deb')).to.deep.equal({ kind: 'package' }); // URL parsing already resolved it
    expect(cacheable('apt', 'http://x/pool/%2e%2e/a.deb')).to.deep.equal({ kind: 'package' });
    expect(cacheable('apt', 'http://x/pool/a%2F..%2F..%2Fb.deb')).to.equal(undefined);
    expect(cacheable('apt', 'http://x/a.rpm')).to.equal(undefined);
    // Escapes that do not decode (not UTF-8, cut short) are taken as they are, never an exception.
    expect(cacheable('apt', 'http://x/pool/%C0%AF.deb')).to.deep.equal({ kind: 'package' });
    expect(cacheable('apt', 'http://x/pool/%zz.deb')).to.deep.equal({ kind: 'package' });
    for (const f of ['dnf', 'microdnf', 'yum', 'zypper'] as const) {
      expect(cacheable(f, 'http://mirror/fedora/Packages/c/curl-8.6.0-1.fc40.x86_64.rpm'), f).to.deep.equal({ kind: 'package' });
      expect(cacheable(f, 'http://mirror/fedora/repodata/repomd.xml'), f).to.equal(undefined);
      expect(cacheable(f, `http://mirror/x/by-hash/SHA256/${hash}`), f).to.equal(undefined);
    }
    expect(cacheable('pacman', 'http://mirror/core/os/x86_64/curl-8.6.0-1-x86_64.pkg.tar.zst')).to.deep.equal({ kind: 'package' });
    expect(cacheable('pacman', 'http://mirror/core/os/x86_64/core.db')).to.equal(undefined);
    expect(cacheable('pacman', 'http://mirror/core/os/x86_64/curl-8.6.0-1-x86_64.pkg.tar.zst.sig')).to.equal(undefined);
  });

  it('an entry is named by a digest of its whole URL, then its readable last segment', () => {
    const url = 'http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3_amd64.deb';
    const digest = createHash('sha256').update(url).digest('hex').slice(0, 32);
    expect(entryName(url)).to.equal(`${digest}-hello_2.10-3_amd64.deb`);
    expect(entryName(url.replace('deb.debian.org', 'mirror.example'))).to.not.equal(entryName(url));
    expect(entryName('http://x/a%2F..%2Fb%20c.deb')).to.match(/^[a-f0-9]{32}-a_.._b_c\.deb$/);
    expect(entryName('http://x/%C0%AF.deb')).to.match(/^[a-f0-9]{32}-_C0_AF\.deb$/);
  });

  it('the bound: RACKER_PACKAGE_CACHE_SIZE in bytes or with a unit; 0 is off; nonsense is a usage error', () => {
    expect(parseCacheSize(undefined)).to.equal(DEFAULT_CACHE_BYTES);
    expect(DEFAULT_CACHE_BYTES).to.equal(2 * 1024 ** 3);
    expect(parseCacheSize('')).to.equal(DEFAULT_CACHE_BYTES);
    expect(parseCacheSize('0')).to.equal(0);
    expect(parseCacheSize('1048576')).to.equal(1048576);
    expect(parseCacheSize('500m')).to.equal(500 * 1024 ** 2);
    expect(parseCacheSize('2G')).to.equal(2 * 1024 ** 3);
    expect(parseCacheSize('1.5GiB')).to.equal(1.5 * 1024 ** 3);
    expect(parseCacheSize('64kb')).to.equal(64 * 1024);
    expect(() => parseCacheSize('lots')).to.throw(UsageError, 'invalid RACKER_PACKAGE_CACHE_SIZE "lots"');
    expect(() => parseCacheSize('-1')).to.throw(UsageError);
  });

  it('eviction: least recently used first, until what stays fits; ties by path', () => {
    const e = (p: string, size: number, usedMs: number) => ({ path: p, size, usedMs });
    const entries = [e('/c/new', 40, 300), e('/c/old', 30, 100), e('/c/mid-b', 20, 200), e('/c/mid-a', 20, 200)];
    expect(chooseEvictions(entries, 200)).to.deep.equal([]);
    expect(chooseEvictions(entries, 110)).to.deep.equal([]);
    expect(chooseEvictions(entries, 109).map((x) => x.path)).to.deep.equal(['/c/old']);
    expect(chooseEvictions(entries, 60).map((x) => x.path)).to.deep.equal(['/c/old', '/c/mid-a']);
    expect(chooseEvictions(entries, 0).map((x) => x.path)).to.deep.equal(['/c/old', '/c/mid-a', '/c/mid-b', '/c/new']);
  });

  it('through the cache: apt gets the proxy as an option on each apt-get; every family gets http_proxy', () => {
    const url = 'http://127.0.0.1:4711/';
    expect(throughCache('apt', [['apt-get', 'update'], ['apt-get', 'install', '-y', 'x']], url)).to.deep.equal({
      steps: [
        ['apt-get', '-o', 'Acquire::http::Proxy=http://127.0.0.1:4711/', 'update'],
        ['apt-get', '-o', 'Acquire::http::Proxy=http://127.0.0.1:4711/', 'install', '-y', 'x'],
      ],
      env: ['http_proxy=http://127.0.0.1:4711/'],
    });
    const dnf = [['dnf', 'install', '-y', '--setopt=install_weak_deps=False', 'x']];
    expect(throughCache('dnf', dnf, url)).to.deep.equal({ steps: dnf, env: ['http_proxy=http://127.0.0.1:4711/'] });
    const zypper = [['zypper', '--non-interactive', 'install', '--no-recommends', 'x']];
    expect(throughCache('zypper', zypper, url)).to.deep.equal({ steps: zypper, env: ['http_proxy=http://127.0.0.1:4711/'] });
    const pacman = [['pacman', '-Syu', '--noconfirm', '--needed', 'x']];
    expect(throughCache('pacman', pacman, url)).to.deep.equal({ steps: pacman, env: ['http_proxy=http://127.0.0.1:4711/'] });
  });
});

describe('package cache: the proxy and the store (a mirror on loopback)', () => {
  let dir: string;
  let mirror: http.Server;
  let base: string;
  const served: string[] = [];
  const files: Record<string, Buffer> = {};

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-pkgcache-'));
    served.length = 0;
    files['/pool/a_1_all.deb'] = Buffer.alloc(3000, 'a');
    files['/dists/x/InRelease'] = Buffer.from('release\n');
    const index = Buffer.from('Package: a\n');
    files[`/dists/x/by-hash/SHA256/${createHash('sha256').update(index).digest('hex')}`] = index;
    files[`/dists/x/by-hash/SHA256/${'0'.repeat(64)}`] = Buffer.from('not what the name says');
    mirror = http.createServer((req, res) => {
      served.push(req.url!);
      const body = files[req.url!];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((r) => mirror.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** GET through a proxy: status and body. */
  const get = (proxy: string, url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const p = new URL(proxy);
      http
        .get({ host: p.hostname, port: p.port, path: url, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        })
        .on('error', reject);
    });

  it('a package is fetched once, then served from the cache; Release files and failures always go to the mirror', async () => {
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    const cache = new PackageCache(paths, 'debian-bookworm-amd64');
    const run = async () => {
      const proxy = await startCacheProxy(cache, 'apt', silentLogger);
      try {
        for (const p of ['/pool/a_1_all.deb', '/dists/x/InRelease']) expect((await get(proxy.url, base + p)).body).to.equal(files[p]!.toString());
        expect((await get(proxy.url, `${base}/pool/missing_1_all.deb`)).status).to.equal(404);
      } finally {
        await proxy.close();
      }
      return proxy.stats;
    };
    expect(await run()).to.deep.equal({ hits: 0, hitBytes: 0, downloads: 3, downloadBytes: 3008, stored: 1 });
    expect(readdirSync(cache.dir)).to.deep.equal([entryName(`${base}/pool/a_1_all.deb`)]);
    served.length = 0;
    expect(await run()).to.deep.equal({ hits: 1, hitBytes: 3000, downloads: 2, downloadBytes: 8, stored: 0 });
    expect(served).to.deep.equal(['/dists/x/InRelease', '/pool/missing_1_all.deb']);
    // Another distribution's cache has none of it.
    const other = await startCacheProxy(new PackageCache(paths, 'debian-trixie-amd64'), 'apt', silentLogger);
    await get(other.url, `${base}/pool/a_1_all.deb`);
    await other.close();
    expect(other.stats.hits).to.equal(0);
  });

  it('what a machine may send instead: a relative path is 400, https 501, CONNECT 405, a bad escape a plain miss', async () => {
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    const proxy = await startCacheProxy(new PackageCache(paths, 'k'), 'apt', silentLogger);
    try {
      expect((await get(proxy.url, '/pool/a_1_all.deb')).status).to.equal(400);
      expect((await get(proxy.url, 'https://deb.debian.org/a.deb')).status).to.equal(501);
      expect((await get(proxy.url, `${base}/pool/%C0%AF.deb`)).status).to.equal(404);
      const p = new URL(proxy.url);
      const status = await new Promise<number>((resolve, reject) => {
        http.request({ host: p.hostname, port: p.port, method: 'CONNECT', path: 'deb.debian.org:443' }).on('connect', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode!);
        }).on('error', reject).end();
      });
      expect(status).to.equal(405);
      // And it still serves.
      expect((await get(proxy.url, `${base}/pool/a_1_all.deb`)).status).to.equal(200);
    } finally {
      await proxy.close();
    }
  });

  it('a by-hash index is kept only when its bytes have the hash its name says', async () => {
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    const cache = new PackageCache(paths, 'k');
    const proxy = await startCacheProxy(cache, 'apt', silentLogger);
    for (const p of Object.keys(files).filter((f) => f.includes('by-hash'))) await get(proxy.url, base + p);
    await proxy.close();
    expect(proxy.stats.stored).to.equal(1);
    const kept = readdirSync(cache.dir);
    expect(kept).to.have.length(1);
    expect(readFileSync(path.join(cache.dir, kept[0]!), 'utf8')).to.equal('Package: a\n');
  });

  it('eviction keeps the bound across distributions, least recently used first; clearing empties it and says how much', async () => {
    const paths = pathsUnder(path.join(dir, 'lib'), path.join(dir, 'run'));
    const put = (key: string, name: string, size: number, usedS: number) => {
      mkdirSync(path.join(paths.packageCache, key), { recursive: true });
      const f = path.join(paths.packageCache, key, name);
      writeFileSync(f, Buffer.alloc(size));
      utimesSync(f, usedS, usedS);
    };
    put('debian-bookworm-amd64', 'old.deb', 100, 1000);
    put('fedora-43-amd64', 'mid.rpm', 100, 2000);
    put('debian-bookworm-amd64', 'new.deb', 100, 3000);
    // A dead probe's half-written download goes too.
    mkdirSync(path.join(paths.packageCache, '.tmp'), { recursive: true });
    writeFileSync(path.join(paths.packageCache, '.tmp', '999999999-abcdef'), 'partial');
    expect((await evictPackages(paths, 250)).map((e) => path.basename(e.path))).to.deep.equal(['old.deb']);
    expect(readdirSync(path.join(paths.packageCache, '.tmp'))).to.deep.equal([]);
    expect(readdirSync(path.join(paths.packageCache, 'debian-bookworm-amd64'))).to.deep.equal(['new.deb']);
    expect(await clearPackageCache(paths)).to.deep.equal({ files: 2, bytes: 200 });
    expect(readdirSync(paths.packageCache)).to.deep.equal(['.tmp']);
    expect(await clearPackageCache(paths)).to.deep.equal({ files: 0, bytes: 0 });
  });
});

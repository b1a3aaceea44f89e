import { expect } from 'chai';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheFile, codeCacheDir, commandWord, readCodeCache, writeCodeCache, type CacheKey } from '../../lib/startup/code-cache.js';

describe('code cache files (lib/startup/code-cache.ts)', () => {
  let dir: string;
  const euid = process.geteuid!();
  const key: CacheKey = { entry: 'racker', bundleHash: 'a'.repeat(64), command: 'ps', bundleStat: '880595:1796653981109' };
  const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-code-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('where: RACKER_CODE_CACHE, off, root under /var/cache, a user under ~/.cache', () => {
    expect(codeCacheDir({ RACKER_CODE_CACHE: 'rel/dir' }, 0)).to.equal(path.resolve('rel/dir'));
    for (const off of ['', '0', 'off']) expect(codeCacheDir({ RACKER_CODE_CACHE: off }, 0)).to.equal(undefined);
    expect(codeCacheDir({ HOME: '/root' }, 0)).to.equal('/var/cache/racker/code');
    expect(codeCacheDir({ HOME: '/home/u' }, 1000)).to.equal('/home/u/.cache/racker/code');
    expect(codeCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/xdg' }, 1000)).to.equal('/xdg/racker/code');
    expect(codeCacheDir({}, 1000)).to.equal(undefined);
  });

  it('one file per command word; flags before it skipped; odd words share one', () => {
    expect(commandWord(['--version'])).to.equal('none');
    expect(commandWord(['--debug', 'run', '-d', 'x'])).to.equal('run');
    expect(commandWord(['__supervise', 'id'])).to.equal('__supervise');
    expect(commandWord(['../../etc/passwd'])).to.equal('other');
    expect(commandWord(['A'.repeat(40)])).to.equal('other');
    expect(path.basename(cacheFile('/c', key))).to.equal(`racker-${'a'.repeat(16)}-ps.cache`);
  });

  it('reads back what it wrote: mode 0600 in a 0700 directory, no temporary file left', () => {
    const file = cacheFile(path.join(dir, 'sub'), key);
    expect(writeCodeCache(file, key, payload)).to.equal(true);
    expect(readCodeCache(file, key, euid)).to.deep.equal(payload);
    expect(readdirSync(path.join(dir, 'sub'))).to.deep.equal([path.basename(file)]);
    expect(readFileSync(file).length).to.be.greaterThan(payload.length);
  });

  it('a cache of another build, bundle, command or node is not used', () => {
    const file = cacheFile(dir, key);
    writeCodeCache(file, key, payload);
    for (const other of [{ bundleHash: 'b'.repeat(64) }, { bundleStat: '880595:1' }, { command: 'run' }, { entry: 'postroj' }]) {
      expect(readCodeCache(file, { ...key, ...other }, euid), JSON.stringify(other)).to.equal(undefined);
    }
    const text = readFileSync(file);
    writeFileSync(file, Buffer.from(text.toString('latin1').replace(process.version, 'v0.0.0'), 'latin1'));
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
  });

  it('a corrupt or truncated cache is not used (V8 does not check; a flipped byte can crash it)', () => {
    const file = cacheFile(dir, key);
    writeCodeCache(file, key, payload);
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10]! ^= 0x01;
    writeFileSync(file, flipped);
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
    writeFileSync(file, good.subarray(0, good.length - 1));
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
    writeFileSync(file, Buffer.alloc(100, 0x37));
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
    writeFileSync(file, good);
    expect(readCodeCache(file, key, euid)).to.deep.equal(payload);
  });

  it("a file another user owns, or others may write, is not used (it is code racker runs)", function () {
    if (euid !== 0) this.skip();
    const file = cacheFile(dir, key);
    writeCodeCache(file, key, payload);
    chmodSync(file, 0o620);
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
    chmodSync(file, 0o600);
    chownSync(file, 65534, 65534);
    expect(readCodeCache(file, key, euid)).to.equal(undefined);
    chownSync(file, 0, 0);
    expect(readCodeCache(file, key, euid)).to.deep.equal(payload);
  });

  it('an unwritable place is no error: the write just reports false', () => {
    writeFileSync(path.join(dir, 'file'), '');
    expect(writeCodeCache(cacheFile(path.join(dir, 'file', 'sub'), key), key, payload)).to.equal(false);
    expect(readCodeCache(path.join(dir, 'none.cache'), key, euid)).to.equal(undefined);
  });

  it("a write removes other builds' files older than a day, and keeps this build's and recent ones", () => {
    const old = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    const otherOld = cacheFile(dir, { ...key, bundleHash: 'c'.repeat(64) });
    const otherNew = cacheFile(dir, { ...key, bundleHash: 'd'.repeat(64) });
    const mineOld = cacheFile(dir, { ...key, command: 'run' });
    const leftTmp = path.join(dir, '.racker-x-ps.cache.123-abcd');
    for (const f of [otherOld, otherNew, mineOld, leftTmp]) writeFileSync(f, 'x');
    for (const f of [otherOld, mineOld, leftTmp]) utimesSync(f, old, old);
    writeCodeCache(cacheFile(dir, key), key, payload);
    expect(readdirSync(dir).sort()).to.deep.equal([otherNew, mineOld, cacheFile(dir, key)].map((f) => path.basename(f)).sort());
  });

  it("keeps the old files of every bundle of this build (racker's command bundles), not only the one written", () => {
    const old = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    const sibling = cacheFile(dir, { ...key, bundleHash: 'e'.repeat(64), command: 'run' });
    const otherOld = cacheFile(dir, { ...key, bundleHash: 'c'.repeat(64) });
    for (const f of [sibling, otherOld]) {
      writeFileSync(f, 'x');
      utimesSync(f, old, old);
    }
    writeCodeCache(cacheFile(dir, key), key, payload, [key.bundleHash, 'e'.repeat(64)]);
    expect(readdirSync(dir).sort()).to.deep.equal([sibling, cacheFile(dir, key)].map((f) => path.basename(f)).sort());
  });
});

import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, rackerBin, seen, tempRoot } from '../helpers/cli.js';

// The launcher (cli/launcher.ts) with V8's code cache: same output and exit codes with the cache
// off, cold and warm; a corrupt, foreign or unwritable cache is ignored. Needs no root and no tools.
describe('start-up: the launcher and its code cache', () => {
  let root: string;
  let cache: string;
  beforeEach(() => {
    root = tempRoot();
    cache = mkdtempSync(path.join(os.tmpdir(), 'racker-code-cache-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });
  const run = (args: string[], dir = cache) => cli(rackerBin, args, { env: { RACKER_ROOT: root, RACKER_CODE_CACHE: dir } });
  const files = () => readdirSync(cache).sort();
  const only = (command: string) => {
    const f = files().filter((n) => n.endsWith(`-${command}.cache`));
    expect(f, `one ${command} cache in ${files().join(' ')}`).to.have.length(1);
    return path.join(cache, f[0]!);
  };

  it('gives the same output and exit code without a cache, writing it, and using it; a failed command writes none', async () => {
    const cases = [['--version'], ['ps', '-a'], ['ps', '--bogus'], ['frobnicate'], ['inspect', 'no-such-thing']];
    for (const args of cases) {
      const off = seen(await run(args, 'off'));
      const cold = seen(await run(args));
      const warm = seen(await run(args));
      expect(cold, args.join(' ')).to.deep.equal(off);
      expect(warm, args.join(' ')).to.deep.equal(off);
    }
    expect(files().map((n) => n.replace(/-[0-9a-f]{16}-/, '-H-'))).to.deep.equal(['racker-H-none.cache', 'racker-H-ps.cache']);
    // The warm run used the file and did not write it again.
    const before = statSync(only('ps'));
    expect((await run(['ps', '-a'])).code).to.equal(0);
    expect(statSync(only('ps')).mtimeMs).to.equal(before.mtimeMs);
  });

  it('a corrupt cache is ignored (a crash without the checksum) and written again', async () => {
    const want = seen(await run(['ps', '-a']));
    const file = only('ps');
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    // Bytes changed all through the payload: V8 takes this cache and dies of SIGSEGV.
    for (let i = good.indexOf(10) + 200; i < bad.length; i += 997) bad[i]! ^= 0x55;
    writeFileSync(file, bad, { mode: 0o600 });
    expect(seen(await run(['ps', '-a']))).to.deep.equal(want);
    // Written again (not the same bytes: what V8 puts in a cache varies from run to run).
    const again = readFileSync(file);
    expect(again.equals(bad)).to.equal(false);
    expect(again.subarray(0, again.indexOf(10)).toString('latin1')).to.match(/^racker-code-cache 1 racker [0-9a-f]{64} ps /);
    expect(seen(await run(['ps', '-a']))).to.deep.equal(want);
  });

  it("another command's cache in this command's place is not used, and is replaced", async () => {
    await run(['ps', '-a']);
    const want = seen(await run(['--version']));
    const none = only('none');
    writeFileSync(none, readFileSync(only('ps')), { mode: 0o600 });
    expect(seen(await run(['--version']))).to.deep.equal(want);
    expect(readFileSync(none).toString('latin1')).to.match(/^racker-code-cache 1 racker [0-9a-f]{64} none /);
  });

  it('an unwritable cache directory is no error', async () => {
    writeFileSync(path.join(cache, 'file'), '');
    const want = seen(await run(['--version'], 'off'));
    expect(seen(await run(['--version'], path.join(cache, 'file', 'sub')))).to.deep.equal(want);
    expect(want).to.deep.include({ code: 0, stderr: '' });
  });
});

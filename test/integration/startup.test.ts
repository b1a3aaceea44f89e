import { expect } from 'chai';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rackerCommands } from '../../cli/commands/index.js';
import { cli, rackerBin, repoRoot, seen, tempRoot } from '../helpers/cli.js';

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
    // stats loads a Node module lazily (import()): from a warm cache that once failed ("A dynamic import callback was not specified").
    const cases = [['--version'], ['ps', '-a'], ['ps', '--bogus'], ['frobnicate'], ['inspect', 'no-such-thing'], ['stats', '--no-stream']];
    for (const args of cases) {
      const off = seen(await run(args, 'off'));
      const cold = seen(await run(args));
      const warm = seen(await run(args));
      expect(cold, args.join(' ')).to.deep.equal(off);
      expect(warm, args.join(' ')).to.deep.equal(off);
    }
    // Each of its own bundle (cli/bundle-choice.ts), so each with its own hash.
    expect(files().map((n) => n.replace(/-[0-9a-f]{16}-/, '-H-')).sort()).to.deep.equal(['racker-H-none.cache', 'racker-H-ps.cache', 'racker-H-stats.cache']);
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

  describe("each command's own bundle (cli/bundle-choice.ts)", () => {
    let whole: string;
    before(() => {
      // dist/ with every command's bundle replaced by the whole program's: the same argv, all commands registered.
      whole = mkdtempSync(path.join(os.tmpdir(), 'racker-whole-'));
      cpSync(path.join(repoRoot, 'dist'), whole, { recursive: true });
      const bin = path.join(whole, 'bin');
      for (const f of readdirSync(bin)) if (/^racker\..+\.bundle\.cjs$/.test(f) && f !== 'racker.client.bundle.cjs') cpSync(path.join(bin, 'racker.bundle.cjs'), path.join(bin, f));
    });
    after(() => rmSync(whole, { recursive: true, force: true }));
    const both = async (args: string[]) => {
      const env = { RACKER_ROOT: root, RACKER_CODE_CACHE: 'off' };
      return [seen(await cli(rackerBin, args, { env })), seen(await cli(path.join(whole, 'bin', 'racker.js'), args, { env }))] as const;
    };
    const words = rackerCommands.map((c) => String(c.command).split(' ')[0]!);

    it('exists for every command word, and for --version', () => {
      const missing = [...words, 'none'].filter((w) => !existsSync(path.join(repoRoot, 'dist', 'bin', `racker.${w}.bundle.cjs`)));
      expect(missing).to.deep.equal([]);
    });

    it('answers as the whole program does: output, errors, exit codes', async () => {
      const cases = [
        ['--version'], ['version'], ['version', '--format', '{{.Client.Version}}'], ['--debug', 'version', '--format', '{{json .Client.Version}}'],
        ['ps', '-a'], ['ps', '-qx'], ['ps', '--format', '{{.Names}}'], ['container', 'ls', '-a'], ['container', 'list', '--bogus'], ['image', 'ls'], ['images', '-q'],
        ['rm'], ['rm', '--bogus', 'c1'], ['stop', 'no-such'], ['inspect', 'no-such-thing'], ['image', 'inspect', 'no-such'], ['image', 'prune', '-f'],
        ['volume', 'ls'], ['volume', 'bogus'], ['volume'], ['network', 'ls'], ['system', 'df'], ['system'], ['pool', 'ls'], ['run'], ['run', '--bogus', 'img'],
        ['exec'], ['logs', 'no-such'], ['tag', 'a'], ['rename', 'a'], ['stats', '--no-stream'], ['ps', 'extra'],
      ];
      for (const args of cases) {
        const [own, all] = await both(args);
        expect(own, args.join(' ')).to.deep.equal(all);
      }
    });

    it("loads for every command: each rejects an unknown flag in the same words", async () => {
      // compose and top hand what follows them to another program.
      for (const w of words.filter((x) => x !== 'compose' && x !== 'top')) {
        const [own, all] = await both([w, '--no-such-flag']);
        expect(own, w).to.deep.equal(all);
        expect(own.code, w).to.not.equal(0);
      }
    });
  });
});


/**
 * Issues 25 and 26: paths a container names are resolved inside its root, never on the host.
 * Each case builds a root in a temporary directory beside a "host" directory holding what an
 * attacker wants, and asserts that the host side is neither read nor written. The race case
 * swaps a path between a directory and a link to the host in a loop while racker reads.
 */
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerRoot, fdPath, InRootError } from '../../lib/fs/in-root.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof InRootError ? err.code : `not InRootError: ${String(err)}`;
  }
  return undefined;
}

describe('in-root resolution (lib/fs/in-root.ts)', () => {
  let base: string;
  let dir: string; // the container's root as the host sees it
  let host: string; // an absolute host directory the attacks aim at
  let root: ContainerRoot;

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'racker-inroot-'));
    dir = path.join(base, 'root');
    host = path.join(base, 'host');
    mkdirSync(path.join(dir, 'etc'), { recursive: true });
    mkdirSync(path.join(dir, 'var/tmp'), { recursive: true });
    mkdirSync(host);
    writeFileSync(path.join(host, 'secret'), 'HOST\n');
    writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    root = ContainerRoot.open(dir);
  });
  afterEach(() => {
    root.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('an absolute link means the container\'s /: /hostroot -> / reaches the root, not the host', () => {
    symlinkSync('/', path.join(dir, 'hostroot'));
    const found = root.find(`/hostroot${host}/secret`);
    expect(found?.fd).to.equal(undefined); // the root has no such file; the host's is never looked at
    expect(root.readText(`/hostroot${host}/secret`)).to.equal(undefined);
    expect(root.find('/hostroot/etc')?.path).to.equal('/etc');
    expect(root.readText('/hostroot/etc/passwd')).to.equal('root:x:0:0:root:/root:/bin/sh\n');
  });

  it('.. stops at the root, in the path and in link targets', () => {
    symlinkSync('../../../../../../../..', path.join(dir, 'up'));
    expect(root.find('/../../../etc')?.path).to.equal('/etc');
    expect(root.find('/up/etc')?.path).to.equal('/etc');
    expect(root.find(`/up${host}/secret`)?.fd).to.equal(undefined);
    expect(root.find('/etc/..')?.path).to.equal('/');
    expect(root.find('/up')?.path).to.equal('/');
  });

  it('relative links resolve from their own directory; the canonical path is reported', () => {
    mkdirSync(path.join(dir, 'usr/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/lib/os-release'), 'ID=test\n');
    symlinkSync('../usr/lib/os-release', path.join(dir, 'etc/os-release'));
    symlinkSync('usr/lib', path.join(dir, 'lib'));
    expect(root.readText('/etc/os-release')).to.equal('ID=test\n');
    expect(root.find('/lib/os-release')?.path).to.equal('/usr/lib/os-release');
    expect(root.find('/etc/os-release', { follow: false })?.stat?.isSymbolicLink()).to.equal(true);
  });

  it('a link loop is ELOOP; a file where a directory should be is nothing', () => {
    symlinkSync('loop', path.join(dir, 'loop'));
    symlinkSync('b', path.join(dir, 'a'));
    symlinkSync('a', path.join(dir, 'b'));
    expect(code(() => root.find('/loop'))).to.equal('ELOOP');
    expect(code(() => root.find('/a/x'))).to.equal('ELOOP');
    expect(root.statOrNothing('/loop')).to.equal(undefined);
    expect(root.find('/etc/passwd/x')).to.equal(undefined);
  });

  it('reads only regular files: a FIFO is refused at once, never opened (a read would block for ever)', () => {
    execFileSync('mkfifo', [path.join(dir, 'etc/group')]);
    const started = Date.now();
    expect(code(() => root.readText('/etc/group'))).to.equal('ENOTREG');
    expect(Date.now() - started).to.be.below(1000);
    expect(code(() => root.readText('/etc'))).to.equal('ENOTREG');
    expect(root.readText('/etc/missing')).to.equal(undefined);
  });

  it('reads are bounded', () => {
    writeFileSync(path.join(dir, 'etc/big'), Buffer.alloc(5000, 'x'));
    expect(code(() => root.readFile('/etc/big', 4096))).to.equal('EFBIG');
    expect(root.readFile('/etc/big', 5000)?.length).to.equal(5000);
  });

  it('writes replace a final link instead of following it, atomically, with the old file\'s mode', () => {
    const victim = path.join(host, 'victim');
    writeFileSync(victim, 'untouched\n');
    rmSync(path.join(dir, 'etc/passwd'));
    symlinkSync(victim, path.join(dir, 'etc/passwd')); // absolute: the host's file if followed there
    expect(root.writeFile('/etc/passwd', 'new\n', { mode: 0o644 })).to.equal('/etc/passwd');
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n');
    expect(lstatSync(path.join(dir, 'etc/passwd')).isFile()).to.equal(true);
    expect(readFileSync(path.join(dir, 'etc/passwd'), 'utf8')).to.equal('new\n');
    writeFileSync(path.join(dir, 'etc/shadow'), 'x', { mode: 0o640 });
    root.writeFile('/etc/shadow', 'y');
    expect(statSync(path.join(dir, 'etc/shadow')).mode & 0o777).to.equal(0o640);
    // No temporary file is left behind.
    expect(execFileSync('ls', ['-A', path.join(dir, 'etc')], { encoding: 'utf8' }).split('\n').filter((n) => n.includes('racker'))).to.deep.equal([]);
  });

  it('writes through a directory link land inside the root; a loop is an error, never a write elsewhere', () => {
    rmSync(path.join(dir, 'var/tmp'), { recursive: true });
    symlinkSync(host, path.join(dir, 'var/tmp')); // /var/tmp -> <host dir>
    expect(root.writeFile('/var/tmp/postroj-x.deb', Buffer.from('pkg'))).to.equal(`${host}/postroj-x.deb`);
    expect(existsSync(path.join(host, 'postroj-x.deb'))).to.equal(false);
    expect(readFileSync(path.join(dir, host, 'postroj-x.deb'), 'utf8')).to.equal('pkg');
    rmSync(path.join(dir, 'etc'), { recursive: true });
    symlinkSync('/etc', path.join(dir, 'etc')); // /etc -> /etc: a loop inside, the host's /etc outside
    const hostPasswd = readFileSync('/etc/passwd', 'utf8');
    expect(code(() => root.writeFile('/etc/passwd', 'pwned\n'))).to.equal('ELOOP');
    expect(readFileSync('/etc/passwd', 'utf8')).to.equal(hostPasswd);
  });

  it('copies a host file in with bounded memory', () => {
    const src = path.join(base, 'pkg.deb');
    writeFileSync(src, Buffer.alloc(3 << 20, 7));
    const inside = root.writeFile('/var/tmp/postroj-pkg.deb', { hostFile: src }, { mode: 0o644 });
    expect(inside).to.equal('/var/tmp/postroj-pkg.deb');
    expect(readFileSync(path.join(dir, inside)).equals(readFileSync(src))).to.equal(true);
  });

  it('directories are made inside the root with their parents', () => {
    symlinkSync('/', path.join(dir, 'hostroot'));
    const made = root.directory(`/hostroot${host}/new/dir`, { create: true });
    expect(made?.path).to.equal(`${host}/new/dir`);
    expect(statSync(path.join(dir, host, 'new/dir')).isDirectory()).to.equal(true);
    expect(existsSync(path.join(host, 'new'))).to.equal(false);
    expect(root.directory('/nope')).to.equal(undefined);
    expect(code(() => root.directory('/etc/passwd'))).to.equal('ENOTDIR');
  });

  it("a process started in a found directory's descriptor runs there, not in the host path of the same name", () => {
    symlinkSync('/', path.join(dir, 'hostroot'));
    mkdirSync(path.join(dir, host), { recursive: true });
    writeFileSync(path.join(dir, host, 'secret'), 'INSIDE\n');
    const wd = root.directory(`/hostroot${host}`)!;
    const r = spawnSync('cat', ['secret'], { cwd: fdPath(wd.fd!), encoding: 'utf8' });
    expect(r.stdout).to.equal('INSIDE\n');
    // ... and no descriptor of the root is passed on to the process.
    const open = spawnSync('sh', ['-c', 'for f in /proc/$$/fd/*; do readlink "$f"; done'], { cwd: fdPath(wd.fd!), encoding: 'utf8' }).stdout;
    expect(open.split('\n').filter((l) => l.includes(base))).to.deep.equal([]);
  });

  it('a path swapped between a directory and a link to the host, in a loop, never yields the host file', async function () {
    this.timeout(30_000);
    // Inside: /d is a real directory holding "INSIDE", or a link to the host directory.
    const real = path.join(dir, 'd.real');
    mkdirSync(real);
    writeFileSync(path.join(real, 'secret'), 'INSIDE\n');
    // Its own process group: the kill below reaches the mv or ln it is running too, which would
    // otherwise go on making entries while afterEach removes the directory.
    const swapper = spawn('sh', ['-c', `cd ${dir} && while :; do mv -T d.real d; mv -T d d.real; ln -sfn ${host} d; rm -f d; done`], { stdio: 'ignore', detached: true });
    try {
      const seen = new Set<string>();
      const deadline = Date.now() + 2000;
      let reads = 0;
      while (Date.now() < deadline || reads < 2000) {
        try {
          seen.add(root.readText('/d/secret') ?? 'missing');
        } catch (err) {
          seen.add(err instanceof InRootError ? err.code : String(err));
        }
        reads++;
        if (reads % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      expect([...seen]).not.to.include('HOST\n');
      expect([...seen]).to.include('INSIDE\n'); // the loop did run against the reads
    } finally {
      const exited = new Promise((r) => swapper.once('exit', r));
      process.kill(-swapper.pid!, 'SIGKILL');
      await exited;
    }
  });
});


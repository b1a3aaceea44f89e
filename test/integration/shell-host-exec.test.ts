/**
 * racker-host-exec (issue 21, item 3): inside `racker shell`, a program run on the host as the
 * shell's owner (doc/host-exec.md). A real account through SUDO_USER, as shell.test.ts has.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, ok, racker, repoRoot, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { accountExists, asUserWrapper, makeShellUser, removeShellUser, sh } from '../helpers/users.js';
import { petName } from '../../lib/container/account.js';

/** The racker-host-execd processes running as `uid` (their pids). */
function serversOf(uid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const owner = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      if (argv[0]?.endsWith('/racker-host-execd') && argv[1] === 'serve' && owner === String(uid)) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

async function until(what: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

describe('racker-host-exec in racker shell (integration)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let home: string;
  let uid: number;
  let hostOnly: string;
  const user = `rkhx${process.pid % 10_000}`;
  const pet = `shell-${user}-debian-bookworm`;
  let env: Record<string, string>;
  const shell = (args: string[], opts: { cwd?: string; input?: string } = {}) => racker(['shell', 'debian-bookworm', ...args], { root, env, ...opts });

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
    // The user's server runs as them: their home (under root) must be reachable to start there.
    chmodSync(root, 0o755);
    home = path.join(root, 'home', user);
    mkdirSync(path.join(home, 'project'), { recursive: true });
    uid = makeShellUser(user, home);
    env = { SUDO_USER: user, RACKER_REGISTRY_MIRROR: reg.host };
    // A host directory not bound into the container, readable by the user.
    hostOnly = mkdtempSync('/tmp/racker-test-hx-');
    chmodSync(hostOnly, 0o755);
    writeFileSync(path.join(hostOnly, 'note'), 'only on the host\n', { mode: 0o644 });
  });

  after(async function () {
    this.timeout(60_000);
    if (root) {
      await racker(['rm', '-f', pet], { root }).catch(() => undefined);
      await killLeftovers(root);
    }
    removeShellUser(user);
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
    if (hostOnly) await fs.rm(hostOnly, { recursive: true, force: true });
  });

  it('runs on the host as the user, not root: name and uid', async function () {
    this.timeout(300_000);
    const r = ok(await shell(['sh', '-c', 'racker-host-exec id -un; racker-host-exec id -u; command -v racker-host-exec']));
    expect(r.stdout).to.equal(`${user}\n${uid}\n/usr/local/bin/racker-host-exec\n`);
    expect(serversOf(uid)).to.have.length(1);
  });

  it("the host program's exit code; a missing command is 127 and one line; no command is usage, 2", async () => {
    expect(seen(await shell(['racker-host-exec', 'sh', '-c', 'exit 7']))).to.deep.equal({ code: 7, stdout: '', stderr: '' });
    expect(seen(await shell(['racker-host-exec', 'no-such-command-hx']))).to.deep.equal({
      code: 127,
      stdout: '',
      stderr: 'racker-host-exec: no-such-command-hx: command not found on the host\n',
    });
    const usage = await shell(['racker-host-exec']);
    expect([usage.code, usage.stdout, usage.stderr]).to.deep.equal([2, '', 'Usage: racker-host-exec COMMAND [ARG...]   (run COMMAND on the host, as you)\n']);
  });

  it('a signal that ends the host program is 128+N; Ctrl-C (SIGINT to the client) reaches the host program', async () => {
    expect((await shell(['racker-host-exec', 'sh', '-c', 'kill -TERM $$'])).code).to.equal(143);
    // The host program traps INT and says so: the signal went through, not just the client died.
    const r = ok(await shell(['sh', '-c', `racker-host-exec sh -c 'trap "echo got-int; exit 9" INT; echo ready; while :; do sleep 0.05; done' & p=$!; sleep 1; kill -INT $p; wait $p; echo "exit $?"`]));
    expect(r.stdout).to.equal('ready\ngot-int\nexit 9\n');
  });

  it('stdin, stdout and stderr are the caller\'s: a pipe in, output and errors out', async () => {
    expect(seen(await shell(['racker-host-exec', 'cat'], { input: 'hi\n' }))).to.deep.equal({ code: 0, stdout: 'hi\n', stderr: '' });
    expect(seen(await shell(['racker-host-exec', 'sh', '-c', 'echo out; echo err >&2']))).to.deep.equal({ code: 0, stdout: 'out\n', stderr: 'err\n' });
  });

  it('the working directory under home is kept; a host-only file is visible on the host side only', async () => {
    expect(ok(await shell(['racker-host-exec', 'pwd'], { cwd: path.join(home, 'project') })).stdout).to.equal(`${path.join(home, 'project')}\n`);
    const note = path.join(hostOnly, 'note');
    expect(ok(await shell(['racker-host-exec', 'cat', note])).stdout).to.equal('only on the host\n');
    expect((await shell(['test', '-e', note])).code).to.equal(1);
  });

  it("the host's login-like environment plus the terminal's variables; nothing else of the container's", async () => {
    const r = ok(await shell(['env', 'TERM=xterm-hx', 'LC_TIME=C', 'FOO=bar', 'PATH=/nowhere:/usr/local/bin:/usr/bin:/bin', 'racker-host-exec', 'sh', '-c', 'echo "$TERM $LC_TIME ${FOO-unset} $HOME $USER $LOGNAME $PATH"']));
    expect(r.stdout).to.equal(`xterm-hx C unset ${home} ${user} ${user} /usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin\n`);
  });

  it('round trip: racker-host-exec true (timed, 20 runs)', async () => {
    const r = ok(await shell(['sh', '-c', 's=$(date +%s%N); for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do racker-host-exec true; done; e=$(date +%s%N); echo $(( (e - s) / 20000 ))']));
    const micros = Number(r.stdout.trim());
    console.log(`      racker-host-exec true: ${(micros / 1000).toFixed(2)} ms per run`);
    expect(micros).to.be.below(100_000);
  });

  it('stop and rm leave no server behind; a start gets a new one; rm removes its directory', async function () {
    this.timeout(120_000);
    const [first] = serversOf(uid);
    expect(first).to.be.a('number');
    ok(await racker(['stop', pet], { root }));
    expect(await until(() => serversOf(uid).length === 0), 'a server outlived stop').to.equal(true);
    expect(ok(await shell(['racker-host-exec', 'id', '-un'])).stdout).to.equal(`${user}\n`);
    const again = serversOf(uid);
    expect(again).to.have.length(1);
    expect(again[0]).to.not.equal(first);
    const dirs = readdirSync(path.join(root, 'lib', 'host-exec'));
    expect(dirs).to.have.length(1);
    ok(await racker(['rm', '-f', pet], { root }));
    expect(await until(() => serversOf(uid).length === 0), 'a server outlived rm -f').to.equal(true);
    expect(existsSync(path.join(root, 'lib', 'host-exec', dirs[0]!))).to.equal(false);
  });
});

describe('racker-host-exec in a member\'s racker shell, through the service (integration)', function () {
  this.timeout(120_000);
  const MEMBER = `rkhx-m${process.pid % 10_000}`;
  let reg: FixtureRegistry;
  let root: string;
  let bin: string;
  let service: Service;
  let DEBIAN: string;
  const made = { user: false, group: false };
  const member = (args: string[]) =>
    cli(path.join(bin, 'racker.js'), args, { wrapper: asUserWrapper(MEMBER), env: { RACKER_ROOT: root, HOME: `/home/${MEMBER}`, USER: MEMBER }, cwd: '/' });

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    if (!accountExists('group', 'racker')) {
      sh(['groupadd', '--system', 'racker']);
      made.group = true;
    }
    if (accountExists('passwd', MEMBER)) sh(['userdel', '-r', MEMBER]);
    sh(['useradd', '--create-home', '-G', 'racker', MEMBER]);
    made.user = true;
    root = tempRoot('racker-hx-members-');
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'run'), { recursive: true, mode: 0o755 });
    // The member's client runs from a dist/ every user may read (the checkout may be private).
    bin = path.join(root, 'dist');
    cpSync(path.join(repoRoot, 'dist'), bin, { recursive: true });
    bin = path.join(bin, 'bin');
    reg = await startRegistry();
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    ok(await racker(['pull', '-q', DEBIAN], { root }));
    service = await startService(root, { args: ['--group', 'racker'] });
  });

  after(async function () {
    this.timeout(120_000);
    if (root) {
      await racker(['rm', '-f', petName(MEMBER, DEBIAN)], { root }).catch(() => undefined);
      if (service) await service.stop();
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
    if (made.user) sh(['userdel', '-r', MEMBER]);
    if (made.group) sh(['groupdel', 'racker']);
  });

  it('the host program runs as the member; rm -f leaves no server', async () => {
    const uid = Number(sh(['id', '-u', MEMBER]).trim());
    const r = await member(['shell', DEBIAN, 'sh', '-c', 'racker-host-exec id -un; racker-host-exec id -u; racker-host-exec sh -c "exit 5"; echo "exit $?"']);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: `${MEMBER}\n${uid}\nexit 5\n`, stderr: '' });
    expect(serversOf(uid)).to.have.length(1);
    // The shells' directories are not listed to a member (their random names are not theirs to know).
    const list = spawnSync(asUserWrapper(MEMBER)[0]!, [...asUserWrapper(MEMBER).slice(1), 'ls', path.join(root, 'lib', 'host-exec')], { encoding: 'utf8' });
    expect([list.status, list.stdout]).to.deep.equal([2, '']);
    ok(await member(['rm', '-f', petName(MEMBER, DEBIAN)]));
    expect(await until(() => serversOf(uid).length === 0), 'a server outlived rm -f').to.equal(true);
    expect(readdirSync(path.join(root, 'lib', 'host-exec'))).to.deep.equal([]);
  });
});

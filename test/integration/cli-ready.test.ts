/**
 * The racker service's ready command process (lib/api/cli-ready.ts): members' commands are run
 * by a `racker` the service started before the request came. Real users (setpriv) in a group of
 * this test's own, as in members.test.ts. What must hold: each ready process runs exactly one
 * command, with that command's caller and environment; one that dies is replaced; none
 * outlives the service, stopped or killed.
 */
import { expect } from 'chai';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { cli, racker, repoRoot, seen, tempRoot, waitFor, type CliResult } from '../helpers/cli.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { accountExists, asUserWrapper, sh } from '../helpers/users.js';
import { childrenOf, processAlive } from '../../lib/exec/procfs.js';

const GROUP = 'racker-t-ready';
const A = 'racker-t-ready-a';
const B = 'racker-t-ready-b';



/** The service's children that are ready processes (started with RACKER_READY_FD, which the launcher removes from process.env, not from /proc's record of the start). */
function readyProcesses(service: Service): number[] {
  return childrenOf(service.child.pid!).filter((pid) => {
    try {
      return processAlive(pid) && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('RACKER_READY_FD=3');
    } catch {
      return false;
    }
  });
}

describe('the service\'s ready command process (integration: real members through racker system service)', function () {
  this.timeout(60_000);
  let root: string;
  let bin: string;
  let service: Service | undefined;
  const made: { users: string[]; group: boolean } = { users: [], group: false };

  const as = (user: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    cli(path.join(bin, 'racker.js'), args, { wrapper: asUserWrapper(user), env: { RACKER_ROOT: root, HOME: `/home/${user}`, USER: user, RACKER_DEBUG: undefined, ...env }, cwd: '/' });
  /** The one ready process, once there is exactly one other than `not`. */
  const oneReady = async (s: Service, not?: number): Promise<number> => {
    await waitFor(() => readyProcesses(s).filter((p) => p !== not).length === 1, 5000, 'a ready process');
    const all = readyProcesses(s);
    expect(all, 'one ready process at a time').to.have.length(1);
    return all[0]!;
  };

  before(async function () {
    requireIntegration(this);
    if (!accountExists('group', GROUP)) {
      sh(['groupadd', '--system', GROUP]);
      made.group = true;
    }
    for (const user of [A, B]) {
      if (accountExists('passwd', user)) sh(['userdel', '-r', user]);
      sh(['useradd', '--create-home', '-G', GROUP, user]);
      made.users.push(user);
    }
    root = tempRoot('racker-ready-');
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'run'), { recursive: true, mode: 0o755 });
    cpSync(path.join(repoRoot, 'dist'), path.join(root, 'dist'), { recursive: true });
    bin = path.join(root, 'dist', 'bin');
  });

  beforeEach(async () => {
    service = await startService(root, { args: ['--group', GROUP] });
  });

  afterEach(async () => {
    for (const v of ['ready-a', 'ready-b']) await fs.rm(path.join(root, 'lib', 'volumes', v), { recursive: true, force: true });
    if (service) {
      const s = service;
      service = undefined;
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop();
      for (const pid of readyProcesses(s)) process.kill(pid, 'SIGKILL');
    }
  });

  after(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
    for (const user of made.users) sh(['userdel', '-r', user]);
    if (made.group) sh(['groupdel', GROUP]);
  });

  it("runs each command in a ready process of its own, with that command's caller and environment", async () => {
    const first = await oneReady(service!);
    // Started once the service was up, not while its umask was 0177 for the socket.
    const umask = (pid: number) => /^Umask:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const serviceUmask = umask(service!.child.pid!)!;
    expect(umask(first)).to.equal(serviceUmask);
    // A's command with A's RACKER_DEBUG (a forwarded variable): the failure comes with its stack.
    const bad = 'create x: "x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed';
    const debug = await as(A, ['volume', 'create', 'x'], { RACKER_DEBUG: '1' });
    expect([debug.code, debug.stdout]).to.deep.equal([1, '']);
    expect(debug.stderr).to.match(/^\s+at validateVolumeName /m);
    // The ready process ran it and is gone: never reused.
    expect(processAlive(first)).to.equal(false);
    // B next, without: nothing of A's environment (one line).
    let waiting = await oneReady(service!, first);
    expect(seen(await as(B, ['volume', 'create', 'x']))).to.deep.equal({ code: 1, stdout: '', stderr: `racker: ${bad}\n` });
    expect(processAlive(waiting)).to.equal(false);
    // Each command's caller: A's volume is A's, B's is B's, and neither may remove the other's.
    waiting = await oneReady(service!, waiting);
    expect(seen(await as(A, ['volume', 'create', 'ready-a']))).to.deep.equal({ code: 0, stdout: 'ready-a\n', stderr: '' });
    expect(processAlive(waiting)).to.equal(false);
    waiting = await oneReady(service!, waiting);
    expect(seen(await as(B, ['volume', 'create', 'ready-b']))).to.deep.equal({ code: 0, stdout: 'ready-b\n', stderr: '' });
    expect(processAlive(waiting)).to.equal(false);
    const third = await oneReady(service!, waiting);
    expect(seen(await as(B, ['volume', 'rm', 'ready-a']))).to.deep.equal({ code: 125, stdout: '', stderr: `racker: volume ready-a belongs to user ${A}\n` });
    expect(processAlive(third)).to.equal(false);
    await oneReady(service!, third);
    expect(seen(await as(A, ['volume', 'rm', 'ready-b']))).to.deep.equal({ code: 125, stdout: '', stderr: `racker: volume ready-b belongs to user ${B}\n` });
    // Made with the umask a fresh command has (not the service's 0177 of the moment it makes its socket).
    const mode = (v: string) => (statSync(path.join(root, 'lib', 'volumes', v, '_data')).mode & 0o777).toString(8);
    const fresh = (0o755 & ~parseInt(serviceUmask, 8)).toString(8);
    expect([mode('ready-a'), mode('ready-b')]).to.deep.equal([fresh, fresh]);
    // The owners recorded are the callers of each command.
    const owner = (v: string) => (JSON.parse(readFileSync(path.join(root, 'lib', 'volumes', v, 'volume.json'), 'utf8')) as { Owner?: { name: string } }).Owner?.name;
    expect([owner('ready-a'), owner('ready-b')]).to.deep.equal([A, B]);
    expect(seen(await as(A, ['volume', 'rm', 'ready-a']))).to.deep.equal({ code: 0, stdout: 'ready-a\n', stderr: '' });
  });

  it('replaces a ready process that was killed, and the next command still runs', async () => {
    const first = await oneReady(service!);
    process.kill(first, 'SIGKILL');
    const next = await oneReady(service!, first);
    expect(seen(await as(A, ['volume', 'create', 'ready-a']))).to.deep.equal({ code: 0, stdout: 'ready-a\n', stderr: '' });
    expect(processAlive(next)).to.equal(false);
  });

  it('loses no command to a ready process that dies with the request in its pipe', async () => {
    expect((await as(A, ['volume', 'create', 'ready-a'])).code).to.equal(0);
    const stuck = await oneReady(service!);
    // Stopped, it cannot answer; killed once the request is in its pipe, the service runs the command itself.
    process.kill(stuck, 'SIGSTOP');
    const running = as(A, ['volume', 'rm', 'ready-a']);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(stuck, 'SIGKILL');
    expect(seen(await running)).to.deep.equal({ code: 0, stdout: 'ready-a\n', stderr: '' });
    expect(readdirSync(path.join(root, 'lib', 'volumes')).filter((v) => v.startsWith('ready-'))).to.deep.equal([]);
    await oneReady(service!, stuck);
  });

  it("a member's client loads only its own small bundle for a command that goes as typed; racker's checks answer as root's", async () => {
    // Without racker's bundles in the member's copy (the whole program's and each command's), only the client's can be running.
    const bundles = readdirSync(bin).filter((f) => /^racker\..*bundle\.cjs$/.test(f) && f !== 'racker.client.bundle.cjs').map((f) => path.join(bin, f));
    expect(bundles).to.include(path.join(bin, 'racker.bundle.cjs'));
    for (const b of bundles) await fs.rename(b, `${b}.away`);
    const bundle = path.join(bin, 'racker.run.bundle.cjs');
    try {
      for (const args of [['nosuch'], ['ps', '--bogus'], ['volume', 'create', 'x']]) {
        const direct = seen(await racker(args, { root }));
        expect(direct.code, args.join(' ')).to.not.equal(0);
        expect(seen(await as(A, args)), args.join(' ')).to.deep.equal(direct);
      }
      // `-e NAME` is resolved from the member's environment, which takes racker's own split of argv: its bundle.
      const bare = await as(A, ['run', '--rm', '-e', 'HOME', 'img', 'true']);
      expect([bare.code, bare.stderr]).to.deep.equal([125, `racker: cannot read ${bundle}: ENOENT: no such file or directory, stat '${bundle}' (run npm run build)\n`]);
    } finally {
      for (const b of bundles) await fs.rename(`${b}.away`, b);
    }
  });

  it('leaves no ready process behind when the service stops, or is killed', async () => {
    const waiting = await oneReady(service!);
    expect(await service!.stop()).to.equal(0);
    await waitFor(() => !processAlive(waiting), 3000, 'the ready process to end with its service');
    service = await startService(root, { args: ['--group', GROUP] });
    const orphan = await oneReady(service);
    // SIGKILL: nothing of the service runs; the ready process sees its pipe close and exits.
    service.child.kill('SIGKILL');
    await waitFor(() => !processAlive(orphan), 3000, 'the ready process to end after its service was killed');
  });
});

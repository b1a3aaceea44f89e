import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathsUnder } from '../../lib/state/paths.js';
import {
  everyoneMayReach,
  HOST_EXEC_CLIENT,
  HOST_EXEC_MOUNT,
  hostExecDirOf,
  hostExecServerArgv,
  hostExecVolumeSpecs,
  serverRecord,
  serverServes,
  statStartTime,
} from '../../lib/shell/host-exec.js';
import { repoRoot } from '../helpers/cli.js';
import { PYTHON3 } from '../helpers/pty.js';

const paths = pathsUnder('/var/lib/racker', '/run/racker');
const dir = '/var/lib/racker/host-exec/0123456789abcdef';

describe('racker-host-exec wiring (lib/shell/host-exec.ts)', () => {
  it("a new shell's volumes: the directory read-only at /run/racker-host, the client on PATH", () => {
    expect(hostExecVolumeSpecs(dir)).to.deep.equal([
      '/var/lib/racker/host-exec/0123456789abcdef:/run/racker-host:ro',
      '/var/lib/racker/host-exec/0123456789abcdef/racker-host-exec:/usr/local/bin/racker-host-exec:ro',
    ]);
    expect([HOST_EXEC_MOUNT, HOST_EXEC_CLIENT]).to.deep.equal(['/run/racker-host', '/usr/local/bin/racker-host-exec']);
  });

  it("a container's directory comes from its binds, and only one racker made", () => {
    const bind = (host: string, container: string) => ({ config: { binds: [{ host: '/home/u', container: '/home/u', readOnly: false }, { host, container, readOnly: true }] } });
    expect(hostExecDirOf(paths, bind(dir, '/run/racker-host'))).to.equal(dir);
    // The user's own bind at that path is never treated as racker's (nor removed with the container).
    expect(hostExecDirOf(paths, bind('/srv/mine', '/run/racker-host'))).to.equal(undefined);
    expect(hostExecDirOf(paths, bind('/var/lib/racker/host-exec', '/run/racker-host'))).to.equal(undefined);
    expect(hostExecDirOf(paths, { config: { binds: [] } })).to.equal(undefined);
  });

  it("the server's argv: the socket made by root, then serve as the owner through setpriv", () => {
    expect(hostExecServerArgv('/opt/racker/native/racker-host-execd', dir, { uid: 1000, gid: 1001 }, { pid: 4242, start: '987' })).to.deep.equal([
      '/opt/racker/native/racker-host-execd',
      'listen',
      `${dir}/socket`,
      '1000',
      '1001',
      '--',
      'setpriv',
      '--reuid=1000',
      '--regid=1001',
      '--init-groups',
      '--reset-env',
      '--',
      '/opt/racker/native/racker-host-execd',
      'serve',
      '4242',
      '987',
    ]);
  });

  it('a recorded server serves only while it runs (same start time) and only the leader it was started for', () => {
    const text = serverRecord({ pid: 10, start: '500' }, { pid: 20, start: '400' });
    expect(text).to.equal('10 500 20 400\n');
    const starts: Record<number, string> = { 10: '500' };
    const startOf = (pid: number) => starts[pid];
    expect(serverServes(text, { pid: 20, start: '400' }, startOf)).to.equal(true);
    expect(serverServes(text, { pid: 21, start: '400' }, startOf), 'another leader').to.equal(false);
    expect(serverServes(text, { pid: 20, start: '401' }, startOf), 'a reused leader pid').to.equal(false);
    expect(serverServes(text, { pid: 20, start: '400' }, () => '501'), 'a reused server pid').to.equal(false);
    expect(serverServes(text, { pid: 20, start: '400' }, () => undefined), 'the server is gone').to.equal(false);
    expect(serverServes('', { pid: 20, start: '400' }, startOf)).to.equal(false);
    expect(serverServes('x y 20 400', { pid: 20, start: '400' }, startOf)).to.equal(false);
  });

  it("a process's start time: field 22, whatever its name holds", () => {
    const rest = Array.from({ length: 19 }, (_, i) => String(i + 3)).join(' ');
    expect(statStartTime(`77 (a b) c) ${rest} 123456 99 100`)).to.equal('123456');
  });

  it('a member may reach the directory only when every directory above lets others pass', () => {
    const modes: Record<string, number> = { '/': 0o755, '/var': 0o755, '/var/lib': 0o755, '/var/lib/racker': 0o755, '/var/lib/racker/host-exec': 0o755 };
    expect(everyoneMayReach('/var/lib/racker/host-exec', (p) => modes[p])).to.equal(true);
    expect(everyoneMayReach('/var/lib/racker/host-exec', (p) => (p === '/var/lib/racker' ? 0o700 : modes[p]))).to.equal(false);
    expect(everyoneMayReach('/var/lib/racker/host-exec', (p) => (p === '/var/lib/racker/host-exec' ? undefined : modes[p]))).to.equal(false);
  });
});

const nativeDir = path.join(repoRoot, 'dist', 'native');
const CLIENT = path.join(nativeDir, 'racker-host-exec');
const SERVER = path.join(nativeDir, 'racker-host-execd');

/** The client and server themselves (npm run build), without a container: a leader that is a `sleep` of ours. */
describe('racker-host-exec and racker-host-execd (native, built by npm run build)', function () {
  let tmp: string;
  let socket: string;
  let leader: ChildProcess;
  let server: ChildProcess;
  const run = (argv: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}) => {
    const r = spawnSync(CLIENT, argv, { env: { RACKER_HOST_EXEC_SOCKET: socket, ...opts.env }, input: opts.input ?? '', encoding: 'utf8', cwd: opts.cwd ?? '/', timeout: 10_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async function () {
    if (!existsSync(CLIENT) || !existsSync(SERVER)) this.skip();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'racker-hx-unit-'));
    socket = path.join(tmp, 'socket');
    leader = spawn('sleep', ['600'], { stdio: 'ignore' });
    const start = statStartTime(readFileSync(`/proc/${leader.pid}/stat`, 'utf8'))!;
    const [uid, gid] = [process.getuid!(), process.getgid!()];
    server = spawn(SERVER, ['listen', socket, String(uid), String(gid), '--', SERVER, 'serve', String(leader.pid), start], { stdio: 'ignore' });
    while (!existsSync(socket) || readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0')[1] === 'listen') await sleep(5);
  });

  after(() => {
    leader?.kill();
    server?.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the command: its output, its exit status; stdin is the caller\'s', () => {
    expect(run(['sh', '-c', 'echo out; echo err >&2; exit 3'])).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(run(['cat'], { input: 'piped\n' })).to.deep.equal({ code: 0, stdout: 'piped\n', stderr: '' });
    expect(run(['--', 'printf', '%s\n', '--help'])).to.deep.equal({ code: 0, stdout: '--help\n', stderr: '' });
  });

  it('a signal ends it: 128+N', () => {
    expect(run(['sh', '-c', 'kill -KILL $$']).code).to.equal(137);
  });

  it('not found: 127, one line; not executable: 126', () => {
    expect(run(['no-such-command-hx'])).to.deep.equal({ code: 127, stdout: '', stderr: 'racker-host-exec: no-such-command-hx: command not found on the host\n' });
    expect(run(['/no/such/file'])).to.deep.equal({ code: 127, stdout: '', stderr: 'racker-host-exec: /no/such/file: No such file or directory\n' });
    expect(run([tmp])).to.deep.equal({ code: 126, stdout: '', stderr: `racker-host-exec: ${tmp}: Permission denied\n` });
  });

  it('usage: no command, or --help, exit 2', () => {
    const usage = 'Usage: racker-host-exec COMMAND [ARG...]   (run COMMAND on the host, as you)\n';
    expect(run([])).to.deep.equal({ code: 2, stdout: '', stderr: usage });
    expect(run(['--help'])).to.deep.equal({ code: 2, stdout: '', stderr: usage });
    expect(run(['--'])).to.deep.equal({ code: 2, stdout: '', stderr: usage });
  });

  it('no server: one line, 125', () => {
    const r = spawnSync(CLIENT, ['true'], { env: { RACKER_HOST_EXEC_SOCKET: path.join(tmp, 'none') }, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([125, '', `racker-host-exec: cannot reach the host (${tmp}/none: No such file or directory): is this a racker shell?\n`]);
  });

  it("the environment: the owner's login-like one, plus only the terminal's variables from the caller", () => {
    const env = { TERM: 'xterm-t', COLORTERM: 'truecolor', LANG: 'C.UTF-8', LC_TIME: 'C', NO_COLOR: '1', LC_bad: 'x', FOO: 'bar', LD_PRELOAD: '/x.so', PATH: '/evil', HOME: '/evil', XDG_RUNTIME_DIR: '/evil' };
    const lines = run(['env'], { env }).stdout.split('\n').filter(Boolean).sort();
    const own = lines.filter((l) => /^(HOME|USER|LOGNAME|SHELL|PATH|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS)=/.test(l));
    expect(lines.filter((l) => !own.includes(l))).to.deep.equal(['COLORTERM=truecolor', 'LANG=C.UTF-8', 'LC_TIME=C', 'NO_COLOR=1', 'TERM=xterm-t']);
    expect(own).to.include('PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin');
    expect(own.find((l) => l.startsWith('HOME='))).to.equal(`HOME=${os.userInfo().homedir}`);
  });

  it('the working directory: the caller\'s where the host has it, else home', () => {
    expect(run(['pwd'], { cwd: tmp }).stdout).to.equal(`${tmp}\n`);
  });

  it('a connection that sends garbage runs nothing and the server goes on serving', async () => {
    for (const junk of [Buffer.from('hello, not a request'), Buffer.alloc(0)]) {
      const closed = await new Promise<Buffer>((resolve, reject) => {
        const c = net.connect(socket);
        const got: Buffer[] = [];
        c.on('data', (b) => got.push(b));
        c.on('error', reject);
        c.on('close', () => resolve(Buffer.concat(got)));
        c.end(junk);
      });
      expect(closed.length).to.equal(0);
    }
    expect(run(['true']).code).to.equal(0);
  });

  it('a request with descriptors whose counts or strings lie runs nothing (python3 sends SCM_RIGHTS)', function () {
    if (!PYTHON3) this.skip();
    const marker = path.join(tmp, 'ran');
    // magic, version, argc, envc, len; then the payload (cwd, argv, env). `touch` is a valid request
    // with argc 2; each sent here lies (too many or too few strings, one unterminated, no argv):
    // the bytes the server sent back, none (no status).
    const program = [
      'import socket, struct, sys',
      'def req(argc, envc, payload):',
      '    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])',
      '    socket.send_fds(s, [b"RKHX" + struct.pack("=IIII", 1, argc, envc, len(payload))], [0, 1, 2])',
      '    s.sendall(payload)',
      '    try: out = s.recv(16)',
      '    except ConnectionResetError: out = b""',
      '    s.close(); return len(out)',
      'touch = b"/\\0touch\\0" + sys.argv[2].encode() + b"\\0"',
      'print(req(1000000, 0, touch), req(3, 0, touch), req(2, 5, touch), req(1, 0, touch), req(2, 0, touch[:-1]), req(0, 0, b"/\\0"))',
    ].join('\n');
    const r = spawnSync(PYTHON3!, ['-c', program, socket, marker], { encoding: 'utf8', timeout: 10_000 });
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, '0 0 0 0 0 0\n', '']);
    expect(existsSync(marker)).to.equal(false);
    // The same program with the true request: it runs, and the status (4 bytes) comes back.
    const valid = spawnSync(PYTHON3!, ['-c', program.replace(/\nprint\(.*$/, '\nprint(req(2, 0, touch))'), socket, marker], { encoding: 'utf8', timeout: 10_000 });
    expect([valid.status, valid.stdout, existsSync(marker)]).to.deep.equal([0, '4\n', true]);
  });

  it('a client killed while its program runs: the program gets SIGHUP', async () => {
    const marker = path.join(tmp, 'hup');
    const c = spawn(CLIENT, ['sh', '-c', `trap "echo hup > ${marker}; exit 0" HUP; while :; do sleep 0.05; done`], { env: { RACKER_HOST_EXEC_SOCKET: socket }, stdio: 'ignore' });
    await sleep(300);
    c.kill('SIGKILL');
    for (let i = 0; i < 100 && !existsSync(marker); i++) await sleep(20);
    expect(readFileSync(marker, 'utf8')).to.equal('hup\n');
  });

  it('Ctrl-Z (SIGTSTP to the client) stops the host program and the client; SIGCONT continues both', async () => {
    const pidFile = path.join(tmp, 'pid');
    const c = spawn(CLIENT, ['sh', '-c', `echo $$ > ${pidFile}; while :; do sleep 0.05; done`], { env: { RACKER_HOST_EXEC_SOCKET: socket }, stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(20);
      const host = Number(readFileSync(pidFile, 'utf8'));
      const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
      const settle = async (want: string) => {
        for (let i = 0; i < 100 && (state(host) !== want || state(c.pid!) !== want); i++) await sleep(20);
        return [state(host), state(c.pid!)];
      };
      c.kill('SIGTSTP');
      expect(await settle('T')).to.deep.equal(['T', 'T']);
      c.kill('SIGCONT');
      expect(await settle('S')).to.deep.equal(['S', 'S']);
    } finally {
      c.kill('SIGKILL');
    }
  });

  it('the server ends with the leader', async () => {
    leader.kill();
    const gone = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      server.once('exit', () => {
        clearTimeout(t);
        resolve(true);
      });
      if (server.exitCode !== null) resolve(true);
    });
    expect(gone).to.equal(true);
    expect(run(['true'])).to.deep.equal({
      code: 125,
      stdout: '',
      stderr: `racker-host-exec: cannot reach the host (${socket}: Connection refused): its server starts when you enter the shell with racker shell\n`,
    });
  });
});

/**
 * Issue 19, "installed as a service": racker system service started by systemd with a socket
 * (systemd-socket-activate stands in for PID 1 systemd, which this machine lacks), the units in
 * scripts/systemd checked by systemd-analyze, and scripts/setup.sh installing them with the
 * group racker.
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, promises as fs, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { rackerBin, repoRoot, tempRoot, waitFor } from '../helpers/cli.js';
import { docker, dockerClient } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';

const run = promisify(execFile);

/** One HTTP/1.1 request on a unix socket: the status line and the body. */
function get(socket: string, urlPath: string): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket, () => c.end(`GET ${urlPath} HTTP/1.1\r\nHost: racker\r\nConnection: close\r\n\r\n`));
    let text = '';
    c.setTimeout(15_000, () => c.destroy(new Error(`no answer on ${socket}`)));
    c.on('data', (b: Buffer) => (text += b.toString()));
    c.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: head.split('\r\n')[0] ?? '', body });
    });
    c.on('error', reject);
  });
}

interface Activated {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

/** systemd-socket-activate -l LISTEN racker system service: it listens, and execs the service on the first connection. */
function activate(listen: string, root: string): Activated {
  const child = spawn('systemd-socket-activate', ['-l', listen, `--setenv=RACKER_ROOT=${root}`, process.execPath, rackerBin, 'system', 'service'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

describe('racker system service installed as a service (integration: socket activation, units, setup.sh)', function () {
  this.timeout(60_000);
  let dir: string;
  let started: Activated | undefined;

  before(function () {
    requireIntegration(this);
  });
  beforeEach(() => {
    dir = tempRoot('racker-units-');
  });
  afterEach(async () => {
    if (started && started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGKILL');
      await started.exited;
    }
    started = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a socket from systemd: served as is (systemd's mode kept), /_ping and the docker CLI answer; on stop the file stays (systemd's)", async function () {
    const bin = dockerClient();
    needs(this, bin !== undefined, 'no docker CLI');
    const socket = path.join(dir, 'docker.sock');
    started = activate(socket, path.join(dir, 'root'));
    await waitFor(() => existsSync(socket), 10_000, 'systemd-socket-activate to listen');
    const mode = statSync(socket).mode & 0o777;
    // The first connection starts the service, which is handed the socket and answers it.
    expect(await get(socket, '/_ping')).to.deep.equal({ status: 'HTTP/1.1 200 OK', body: 'OK' });
    const version = await docker(bin!, `unix://${socket}`, ['version', '--format', '{{.Server.Version}}']);
    expect({ code: version.code, stdout: version.stdout }).to.deep.equal({ code: 0, stdout: `${JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version}\n` });
    // No chmod/chown of a file systemd made (racker's own socket would be 0660).
    expect(statSync(socket).mode & 0o777).to.equal(mode);
    expect(started.stderr()).to.match(new RegExp(`^racker: Engine API [\\d.]+–[\\d.]+ listening on unix://${socket.replace(/\./g, '\\.')} \\(socket from systemd\\)$`, 'm'));
    // Nothing under the root's own run directory: the service made no socket of its own.
    expect(existsSync(path.join(dir, 'root', 'run', 'docker.sock'))).to.equal(false);
    started.child.kill('SIGTERM');
    expect(await started.exited).to.equal(0);
    expect(lstatSync(socket).isSocket()).to.equal(true);
  });

  it("a socket from systemd that is not a unix one (TCP): one line, exit 1 (a command's own failure, as docker's), nothing served", async () => {
    // A free port: the kernel picks one, and it is closed again for systemd-socket-activate.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    started = activate(`127.0.0.1:${port}`, path.join(dir, 'root'));
    await waitFor(() => /Listening on/.test(started!.stderr()), 10_000, 'systemd-socket-activate to listen');
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => undefined);
    expect(await started.exited).to.equal(1);
    c.destroy();
    const own = started.stderr().split('\n').filter((l) => l.startsWith('racker'));
    expect(own).to.deep.equal(['racker: the socket systemd passed (fd 3) is not a listening unix stream socket: racker serves the Engine API on a unix socket only']);
  });

  it('setup.sh: the group racker (a system group), the units with ExecStart at the racker it linked, systemd-analyze clean; a re-run changes nothing', async () => {
    // setup.sh runs npm ci when node_modules is older than the lock: never from a test (a
    // worktree's node_modules may be a link to another checkout's, which npm ci would empty).
    const lock = (f: string) => statSync(path.join(repoRoot, f)).mtimeMs;
    if (!(lock('node_modules/.package-lock.json') > lock('package-lock.json'))) throw new Error('node_modules is older than package-lock.json: run npm ci (or scripts/setup.sh) first');
    const hadGroup = await run('getent', ['group', 'racker']).then(
      () => true,
      () => false,
    );
    const bin = path.join(dir, 'bin');
    const units = path.join(dir, 'units');
    mkdirSync(bin);
    const env = { ...process.env, RACKER_BIN_DIR: bin, RACKER_UNIT_DIR: units };
    try {
      const first = await run('bash', [path.join(repoRoot, 'scripts/setup.sh')], { env });
      const systemd = existsSync('/run/systemd/system');
      const handStart = "setup.sh: PID 1 is not systemd, so nothing starts the Engine API service: start it with 'racker system service --group racker &' (or under any supervisor)\n";
      expect(first.stderr).to.match(new RegExp(`^${systemd ? '' : handStart.replace(/[()*&.]/g, '\\$&')}setup\\.sh: ready \\([\\d.]+\\)\\n$`));

      const [, gid] = /^racker:x:(\d+):/.exec((await run('getent', ['group', 'racker'])).stdout) ?? [];
      const sysGidMax = Number(/^SYS_GID_MAX\s+(\d+)/m.exec(readFileSync('/etc/login.defs', 'utf8'))?.[1] ?? 999);
      expect(Number(gid)).to.be.within(1, sysGidMax);

      const socketUnit = readFileSync(path.join(units, 'racker.socket'), 'utf8');
      const serviceUnit = readFileSync(path.join(units, 'racker.service'), 'utf8');
      expect(socketUnit).to.equal(readFileSync(path.join(repoRoot, 'scripts/systemd/racker.socket'), 'utf8'));
      const lines = (text: string) => text.split('\n').filter((l) => /^[A-Z]\w+=/.test(l));
      expect(lines(socketUnit)).to.deep.equal([
        'Description=racker Engine API socket',
        'ListenStream=/run/racker/docker.sock',
        'SocketMode=0660',
        'SocketUser=root',
        'SocketGroup=racker',
        'RemoveOnStop=yes',
        'WantedBy=sockets.target',
      ]);
      expect(lines(serviceUnit).filter((l) => !l.startsWith('Description=') && !l.startsWith('Environment=PATH='))).to.deep.equal([
        'Requires=racker.socket',
        'After=racker.socket',
        `ExecStart=${bin}/racker system service --group racker`,
        'Restart=on-failure',
        'KillMode=process',
        'TasksMax=infinity',
        'Also=racker.socket',
      ]);
      expect(readFileSync(path.join(bin, 'racker'), 'utf8')).to.equal(readFileSync(rackerBin, 'utf8'));
      // Checked by systemd's own parser: no unknown key, no missing executable.
      const verify = await run('systemd-analyze', ['verify', path.join(units, 'racker.socket'), path.join(units, 'racker.service')]);
      expect({ stdout: verify.stdout, stderr: verify.stderr }).to.deep.equal({ stdout: '', stderr: '' });

      const mtimes = ['racker.socket', 'racker.service'].map((u) => statSync(path.join(units, u)).mtimeMs);
      const second = await run('bash', [path.join(repoRoot, 'scripts/setup.sh')], { env });
      expect(second.stderr).to.equal(first.stderr);
      expect(['racker.socket', 'racker.service'].map((u) => statSync(path.join(units, u)).mtimeMs)).to.deep.equal(mtimes);
      expect(/^racker:x:(\d+):/.exec((await run('getent', ['group', 'racker'])).stdout)?.[1]).to.equal(gid);
    } finally {
      // A machine set up by setup.sh (CI) had the group before; one that had not keeps nothing.
      if (!hadGroup) await run('groupdel', ['racker']).catch(() => undefined);
    }
  });
});

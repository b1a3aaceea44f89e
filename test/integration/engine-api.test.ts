import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CliResult, ok, racker, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { docker, dockerBinary, dockerClient, dockerConfigDir, otherDockerClients, startService, type Service } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('Engine API (integration: the docker CLI against racker system service)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let bin: string;
  let config: { dir: string; remove(): void };
  let DEBIAN: string; // systemd: boot mode
  let BUSYBOX: string; // no systemd: direct mode

  const dk = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => docker(bin, service.host, args, { configDir: config.dir, ...opts });
  const rk = (args: string[]) => racker(args, { root });

  /** A shell command line on a terminal (script(1)), the way a user types docker -it. */
  function inTerminal(command: string): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: service.host, DOCKER_CONFIG: config.dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
    });
  }

  /** When an exit code is not the expected one: the container's record, its supervisor's log, the service's log. */
  async function explain(name: string): Promise<void> {
    const id = (await dk(['inspect', '--format', '{{.Id}}', name])).stdout.trim();
    const supervisor = await fs.readFile(`${root}/lib/containers/${id}/supervisor.log`, 'utf8').catch(() => '(none)');
    console.log(`${(await dk(['inspect', name])).stdout}\nsupervisor.log:\n${supervisor}\nservice:\n${service.stderr().slice(-4000)}`);
  }

  before(async function () {
    requireIntegration(this);
    const found = dockerClient();
    needs(this, Boolean(found), 'the docker client is not installed (docker.io)');
    bin = found!;
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-engine-');
    config = dockerConfigDir();
    service = await startService(root, { env: { RACKER_DEBUG: '1' } });
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
  });

  after(async function () {
    this.timeout(120_000);
    if (service) {
      const q = await dk(['ps', '-aq', '--no-trunc']).catch(() => undefined);
      const ids = q?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length) await dk(['rm', '-f', ...ids]);
      expect(await service.stop()).to.equal(0);
    }
    if (root) {
      const cleaned = await killLeftovers(root);
      if (cleaned.length) console.log(`      (left behind and cleaned up: ${cleaned.join(', ')})`);
      await fs.rm(root, { recursive: true, force: true });
    }
    config?.remove();
    await reg?.stop();
  });

  describe('system', () => {
    it('the socket is 0660 root:root', () => {
      const st = statSync(service.socket);
      expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid, gid: st.gid }).to.deep.equal({ mode: '660', uid: 0, gid: 0 });
    });

    it("docker version: the server section is racker's", async () => {
      const r = ok(await dk(['version']));
      const { version } = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      expect(r.stdout).to.match(/\nServer: racker\n Engine:\n  Version: +(\S+)\n  API version: +1\.43 \(minimum version 1\.24\)\n/);
      expect(/\nServer: racker\n Engine:\n  Version: +(\S+)/.exec(r.stdout)?.[1]).to.equal(version);
    });

    it('docker info', async () => {
      const r = ok(await dk(['info', '--format', '{{.ServerVersion}} {{.OSType}} {{.Swarm.LocalNodeState}}']));
      expect(r.stdout).to.match(/^\d+\.\d+\.\d+ linux inactive\n$/);
    });
  });

  describe('images', () => {
    it('docker pull from the fixture registry: progress lines, then the reference', async () => {
      const r = ok(await dk(['pull', DEBIAN], { timeoutMs: 300_000 }));
      expect(r.stdout).to.match(/^bookworm: Pulling from library\/debian\n/);
      expect(r.stdout).to.include(`Status: Downloaded newer image for ${DEBIAN}\n`);
      expect(r.stdout.endsWith(`${DEBIAN}\n`)).to.equal(true);
      // racker's CLI sees the same store.
      expect(ok(await rk(['images', '--format', 'json'])).stdout).to.include(`"Repository":"${reg.host}/library/debian","Tag":"bookworm"`);
    });

    it('a second pull is up to date', async () => {
      expect(ok(await dk(['pull', DEBIAN])).stdout).to.include(`Status: Image is up to date for ${DEBIAN}\n`);
    });

    it('pulling an unknown image fails with the registry\'s answer', async () => {
      const r = await dk(['pull', `${reg.host}/racker/nonexistent:1`]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/not found|manifest unknown/);
    });

    it('docker images and docker image inspect', async () => {
      const rows = ok(await dk(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean);
      expect(rows).to.include(DEBIAN);
      // docker images REPOSITORY: the reference filter.
      expect(ok(await dk(['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/library/debian`])).stdout).to.equal(`${DEBIAN}\n`);
      expect(ok(await dk(['images', '-q', `${reg.host}/racker/none`])).stdout).to.equal('');
      const inspected = JSON.parse(ok(await dk(['image', 'inspect', DEBIAN])).stdout) as { Id: string; RepoTags: string[]; Os: string }[];
      const id = ok(await rk(['images', '-q', '--no-trunc'])).stdout.trim().split('\n');
      expect(inspected.map((i) => [i.RepoTags, i.Os])).to.deep.equal([[[DEBIAN], 'linux']]);
      expect(id).to.include(inspected[0]!.Id);
    });
  });

  describe('docker run', () => {
    it('an image not here yet is pulled first (on stderr); stdout is the command\'s, the exit code propagates', async () => {
      const r = await dk(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo hi; exit 3']);
      expect({ code: r.code, stdout: r.stdout }).to.deep.equal({ code: 3, stdout: 'hi\n' });
      expect(r.stderr).to.include(`Unable to find image '${BUSYBOX}' locally`);
    });

    it('--rm leaves nothing behind', async () => {
      expect(ok(await dk(['ps', '-aq'])).stdout).to.equal('');
      expect(ok(await rk(['ps', '-aq'])).stdout).to.equal('');
    });

    it('stdout and stderr stay apart (direct mode)', async () => {
      expect(seen(await dk(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 0']))).to.deep.equal({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    });

    it('-i: the attached stdin is the command\'s (direct and boot mode); without -i it reads nothing', async () => {
      expect(seen(await dk(['run', '--rm', '-i', BUSYBOX, 'cat'], { input: 'foo\n' }))).to.deep.equal({ code: 0, stdout: 'foo\n', stderr: '' });
      expect(seen(await dk(['run', '--rm', '-i', DEBIAN, 'sh', '-c', 'read x; echo got $x; exit 6'], { input: 'line\n' }))).to.deep.equal({ code: 6, stdout: 'got line\n', stderr: '' });
      expect(seen(await dk(['run', '--rm', BUSYBOX, 'cat'], { input: 'foo\n' }))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    });

    for (const [mode, image] of [['direct mode', () => BUSYBOX], ['boot mode', () => DEBIAN]] as const) {
      it(`3 MB of random bytes through run -i cat come back byte-identical (${mode})`, async () => {
        const payload = randomBytes(3 * 1024 * 1024);
        const r = await dockerBinary(bin, service.host, ['run', '--rm', '-i', image(), 'cat'], { configDir: config.dir, input: payload });
        expect({ code: r.code, stderr: r.stderr, length: r.stdout.length }).to.deep.equal({ code: 0, stderr: '', length: payload.length });
        expect(r.stdout.equals(payload)).to.equal(true);
      });
    }

    it('boot mode: PID 1 is systemd; -e, -w, -u and --name map onto racker run', async () => {
      const r = await dk(['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', '--name', 'api-boot', DEBIAN, 'sh', '-c', 'cat /proc/1/comm; echo $FOO; pwd; id -un; hostname']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: 'systemd\nbar\n/tmp\nnobody\napi-boot\n', stderr: '' });
    });

    it('-v, --entrypoint and --hostname', async () => {
      const dir = await fs.mkdtemp(`${root}/bind-`);
      await fs.writeFile(`${dir}/f`, 'from the host\n');
      const r = await dk(['run', '--rm', '-v', `${dir}:/data:ro`, '--hostname', 'h1', '--entrypoint', 'sh', BUSYBOX, '-c', 'cat /data/f; hostname; touch /data/x']);
      expect({ code: r.code, stdout: r.stdout }).to.deep.equal({ code: 1, stdout: 'from the host\nh1\n' });
      expect(r.stderr).to.match(/Read-only file system/);
    });

    it('a command that is not there: 127 with docker\'s message (direct and boot mode)', async () => {
      const direct = await dk(['run', '--rm', BUSYBOX, 'nonexistent']);
      expect([direct.code, direct.stdout]).to.deep.equal([127, '']);
      expect(direct.stderr).to.include('exec: "nonexistent": executable file not found in $PATH');
      const boot = await dk(['run', '--rm', DEBIAN, 'nonexistent']);
      expect([boot.code, boot.stdout]).to.deep.equal([127, '']);
      expect(boot.stderr).to.include('exec: "nonexistent": executable file not found in $PATH');
    });

    it('without --rm the container stays, exited with its code, in docker ps -a and racker ps -a', async () => {
      const k = await dk(['run', '--name', 'kept', BUSYBOX, 'sh', '-c', 'echo kept; exit 2']);
      if (k.code !== 2) await explain('kept');
      expect(seen(k)).to.deep.equal({ code: 2, stdout: 'kept\n', stderr: '' });
      expect(ok(await dk(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout).to.match(/^kept Exited \(2\) /);
      expect(ok(await rk(['ps', '-a', '--format', 'json'])).stdout).to.include('"Names":"kept"');
      expect(ok(await dk(['logs', 'kept'])).stdout).to.equal('kept\n');
      ok(await dk(['rm', 'kept']));
      expect(ok(await rk(['ps', '-aq'])).stdout).to.equal('');
    });
  });

  describe('background containers', () => {
    it('run -d a system container, ps, exec (exit code, -e/-w/-u, stdin), stop, rm', async () => {
      const id = ok(await dk(['run', '-d', '--name', 'web', DEBIAN])).stdout.trim();
      expect(id).to.match(/^[a-f0-9]{64}$/);
      expect(ok(await dk(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}'])).stdout).to.match(new RegExp(`^${id.slice(0, 12)} web Up `));
      expect(seen(await dk(['exec', 'web', 'sh', '-c', 'cat /proc/1/comm; echo err >&2; exit 4']))).to.deep.equal({ code: 4, stdout: 'systemd\n', stderr: 'err\n' });
      expect(seen(await dk(['exec', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'echo $A $(pwd) $(id -un)']))).to.deep.equal({ code: 0, stdout: '1 /tmp nobody\n', stderr: '' });
      expect(seen(await dk(['exec', '-i', 'web', 'cat'], { input: 'piped\n' }))).to.deep.equal({ code: 0, stdout: 'piped\n', stderr: '' });
      // -t: a terminal (script(1) on the host), 24x80 unless the client has one; -it from a terminal: its size.
      expect(seen(await dk(['exec', '-t', 'web', 'sh', '-c', 'test -t 0 && echo term; stty size; exit 2']))).to.deep.equal({ code: 2, stdout: 'term\r\n24 80\r\n', stderr: '' });
      const it = await inTerminal(`stty rows 30 cols 100; ${bin} exec -it web sh -c 'test -t 0 && echo term; stty size; exit 4'`);
      // (script echoes the end of its own empty input as ^@ on the terminal first.)
      expect({ code: it.code, stdout: it.stdout.replace(/^\^@/, '') }).to.deep.equal({ code: 4, stdout: 'term\r\n30 100\r\n' });
      const missing = await dk(['exec', 'web', 'nonexistent']);
      expect(missing.code).to.equal(126);
      // racker's own exec reaches the same container.
      expect(ok(await rk(['exec', 'web', 'systemctl', 'is-system-running'])).stdout).to.match(/^(running|degraded)\n$/);
      // restart: the same machine boots again, its files kept.
      ok(await dk(['exec', 'web', 'touch', '/kept-file']));
      expect(seen(await dk(['restart', '-t', '5', 'web']))).to.deep.equal({ code: 0, stdout: 'web\n', stderr: '' });
      expect(seen(await dk(['exec', 'web', 'sh', '-c', 'ls /kept-file; cat /proc/1/comm']))).to.deep.equal({ code: 0, stdout: '/kept-file\nsystemd\n', stderr: '' });
      expect(seen(await dk(['stop', 'web']))).to.deep.equal({ code: 0, stdout: 'web\n', stderr: '' });
      const state = JSON.parse(ok(await dk(['inspect', 'web'])).stdout) as { State: { Status: string; Running: boolean } }[];
      expect(state[0]!.State).to.deep.include({ Status: 'exited', Running: false });
      expect(seen(await dk(['rm', 'web']))).to.deep.equal({ code: 0, stdout: 'web\n', stderr: '' });
    });

    it('run -t and run -it: the main process has a terminal (the container\'s own), of the client\'s size', async () => {
      for (const image of [BUSYBOX, DEBIAN]) ok(await dk(['pull', '-q', image]));
      // Without a terminal on the client's side: a terminal all the same, output raw (\r\n).
      expect(seen(await dk(['run', '--rm', '-t', BUSYBOX, 'sh', '-c', 'test -t 0 && test -t 1 && echo term; exit 3']))).to.deep.equal({ code: 3, stdout: 'term\r\n', stderr: '' });
      // From a terminal: the client's size arrives by resize (the command waits a moment for it).
      for (const image of [BUSYBOX, DEBIAN]) {
        const it = await inTerminal(`stty rows 33 cols 101; ${bin} run -it --rm ${image} sh -c 'sleep 1; stty size; tty; exit 5'`);
        expect({ code: it.code, stdout: it.stdout.replace(/^\^@/, '') }, image).to.deep.include({ code: 5 });
        expect(it.stdout.replace(/^\^@/, ''), image).to.match(/^33 101\r\n\/dev\/(console|pts\/\d+)\r\n$/);
      }
    });

    it('run -d with a command, logs (stdout and stderr apart), kill → 137, rm -f', async () => {
      ok(await dk(['run', '-d', '--name', 'talker', BUSYBOX, 'sh', '-c', 'echo one; echo two >&2; exec sleep 60']));
      let logs: CliResult | undefined;
      for (let i = 0; i < 100; i++) {
        logs = ok(await dk(['logs', 'talker']));
        if (logs.stdout && logs.stderr) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect({ stdout: logs?.stdout, stderr: logs?.stderr }).to.deep.equal({ stdout: 'one\n', stderr: 'two\n' });
      // --since in the future: nothing yet; --tail 1 -t: the last line with its time.
      expect(seen(await dk(['logs', '--since', '2099-01-01T00:00:00Z', 'talker']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(ok(await dk(['logs', '--since', '1h', 'talker'])).stdout).to.equal('one\n');
      ok(await dk(['kill', 'talker']));
      const w = ok(await dk(['wait', 'talker'])).stdout;
      if (w !== '137\n') await explain('talker');
      expect(w).to.equal('137\n');
      const again = await dk(['kill', 'talker']);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.include('is not running');
      ok(await dk(['run', '-d', '--name', 'sleeper', BUSYBOX, 'sleep', '60']));
      const refused = await dk(['rm', 'sleeper']);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include('You cannot remove a running container');
      expect(seen(await dk(['rm', '-f', 'sleeper', 'talker']))).to.deep.equal({ code: 0, stdout: 'sleeper\ntalker\n', stderr: '' });
      expect(ok(await dk(['ps', '-aq'])).stdout).to.equal('');
    });

    it('docker inspect of an unknown name: "No such object", exit 1', async () => {
      const r = await dk(['inspect', 'nothing-here']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('No such object: nothing-here');
    });
  });

  describe('other API versions: the docker CLI pinned to older ones, and any other docker client on this machine', () => {
    it('version, run with output and exit code, exec, a terminal\'s size', async function () {
      // The CLI speaks the version it is told to (DOCKER_API_VERSION): older clients' requests,
      // under their own /v1.NN prefix, without ConsoleSize (the size comes by resize). A real
      // second client (a newer static build on PATH) is asked too, when there is one.
      const pinned = ['1.40', '1.30', '1.25'].map((v) => {
        const wrapper = path.join(config.dir, `docker-${v}`);
        writeFileSync(wrapper, `#!/bin/sh\nDOCKER_API_VERSION=${v} exec ${bin} "$@"\n`, { mode: 0o755 });
        return wrapper;
      });
      for (const other of [...pinned, ...otherDockerClients(bin)]) {
        const od = (args: string[]) => docker(other, service.host, args, { configDir: config.dir });
        expect(ok(await od(['version', '--format', '{{.Server.Version}}'])).stdout, other).to.match(/^\d+\.\d+\.\d+\n$/);
        expect(ok(await od(['pull', '-q', BUSYBOX])).stdout, other).to.equal(`${BUSYBOX}\n`);
        expect(seen(await od(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo hi; echo err >&2; exit 3'])), other).to.deep.equal({ code: 3, stdout: 'hi\n', stderr: 'err\n' });
        ok(await od(['run', '-d', '--name', 'other', BUSYBOX, 'sleep', '60']));
        expect(seen(await od(['exec', 'other', 'sh', '-c', 'echo x; exit 5'])), other).to.deep.equal({ code: 5, stdout: 'x\n', stderr: '' });
        const it = await inTerminal(`stty rows 40 cols 120; ${other} exec -it other sh -c 'stty size'`);
        expect({ code: it.code, stdout: it.stdout.replace(/^\^@/, '') }, other).to.deep.equal({ code: 0, stdout: '40 120\r\n' });
        ok(await od(['rm', '-f', 'other']));
      }
    });
  });

  describe('the service itself', () => {
    it('SIGTERM stops the service and removes its socket; containers it started keep running', async () => {
      ok(await dk(['run', '-d', '--name', 'survivor', BUSYBOX, 'sleep', '60']));
      expect(await service.stop()).to.equal(0);
      expect(await fs.stat(service.socket).then(() => 'exists', (e: NodeJS.ErrnoException) => e.code)).to.equal('ENOENT');
      expect(ok(await rk(['ps', '--format', 'json'])).stdout).to.include('"Names":"survivor"');
      service = await startService(root);
      expect(ok(await dk(['ps', '--format', '{{.Names}}'])).stdout).to.equal('survivor\n');
      ok(await dk(['rm', '-f', 'survivor']));
    });

    it('--group widens the socket to a group (0660 root:GROUP); an unknown group is refused', async () => {
      const other = await startService(root, { socket: `${root}/run/group.sock`, args: ['--group', 'nogroup'] });
      try {
        const st = statSync(other.socket);
        expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid, gid: st.gid }).to.deep.equal({ mode: '660', uid: 0, gid: 65534 });
        expect(ok(await docker(bin, other.host, ['ps', '-q'], { configDir: config.dir })).stdout).to.equal('');
      } finally {
        expect(await other.stop()).to.equal(0);
      }
      const refused = await rk(['system', 'service', '--socket', `${root}/run/bad.sock`, '--group', 'no-such-group-here']);
      expect(seen(refused)).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: no such group: no-such-group-here\n' });
    });
  });
});

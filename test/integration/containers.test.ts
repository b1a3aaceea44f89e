import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CliResult, ok, racker, rackerBin, seen, tempRoot } from '../helpers/cli.js';
import {
  eventually,
  killLeftovers,
  removeAllContainers,
  leftovers,
  nspawnPayload,
  processesInside,
  propagateDir,
  processState,
  rackerBinary,
  startRacker,
  stateDirs,
  type Started,
  type LeftoverOptions,
} from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** The three things a user sees, compared at once so a failure shows all of them. */

interface PsRow {
  ID: string;
  Names: string;
  Status: string;
  State: string;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) /;

describe('containers (integration: systemd-nspawn, fixture registry on 127.0.0.1)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let hostDir: string;
  let DEBIAN: string; // systemd: boot mode
  let MULTI: string; // systemd, Env FIXTURE=multilayer, WorkingDir /opt/fixture, Cmd cat new.txt
  let BUSYBOX: string; // no systemd: direct mode
  /** IDs of every container this file created and knows, for the nspawn /run dir checks. */
  const ids: string[] = [];

  const rk = (args: string[], opts: { input?: string | Buffer; env?: Record<string, string | undefined>; timeoutMs?: number } = {}) =>
    racker(args, { root, timeoutMs: 120_000, ...opts });

  async function ps(all = true): Promise<PsRow[]> {
    const r = ok(await rk(['ps', ...(all ? ['-a'] : []), '--format', 'json']));
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
  }

  async function psIds(): Promise<string[]> {
    return (await ps()).map((r) => r.ID);
  }

  async function idOf(name: string): Promise<string> {
    const r = ok(await rk(['inspect', name]));
    const id = (JSON.parse(r.stdout) as Array<{ Id: string }>)[0]!.Id;
    ids.push(id);
    return id;
  }

  /**
   * What a finished container left behind (beyond baseline). Whatever it is gets cleaned
   * away at once, so that the next tests are not blamed for this one's leftovers.
   */
  async function takeLeftovers(opts: LeftoverOptions = {}, baseline: readonly string[] = []): Promise<string[]> {
    const found = leftovers(root, opts).filter((l) => !baseline.includes(l));
    if (found.length) {
      await killLeftovers(root);
      for (const id of opts.ids ?? []) await fs.rmdir(propagateDir(id)).catch(() => undefined);
    }
    return found;
  }

  async function expectNothingLeft(opts: LeftoverOptions = {}, baseline: readonly string[] = []): Promise<void> {
    expect(await takeLeftovers(opts, baseline)).to.deep.equal([]);
  }

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot('racker-containers-');
    hostDir = mkdtempSync(path.join(os.tmpdir(), 'racker-volume-'));
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    MULTI = `${reg.host}/racker/multilayer:latest`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    await Promise.all([DEBIAN, MULTI, BUSYBOX].map(async (ref) => ok(await rk(['pull', '-q', ref], { timeoutMs: 300_000 }))));
  });

  // A test that leaked a container (a known failure mode) must not fail the tests after it:
  // unless a container is meant to outlive the test (web), kill what remains, then let
  // `racker ps` record the end of containers whose racker is gone.
  const strays: string[] = [];
  let keepRunning = false;
  afterEach(async function () {
    if (!root || keepRunning) return;
    const cleaned = await killLeftovers(root);
    if (cleaned.length) {
      strays.push(`${this.currentTest?.title}: ${cleaned.join(', ')}`);
      await rk(['ps', '-a']);
    }
  });

  after(async function () {
    this.timeout(120_000);
    if (root) {
      const cleaned = await removeAllContainers(root);
      if (cleaned.length) strays.push(`after: ${cleaned.join(', ')}`);
      if (strays.length) console.log(`      (left behind and cleaned up: ${strays.join('; ')})`);
      await fs.rm(root, { recursive: true, force: true });
    }
    // nspawn's per-machine dirs of our containers (empty; left when nspawn was SIGKILLed).
    for (const id of ids) await fs.rmdir(propagateDir(id)).catch(() => undefined);
    if (hostDir) await fs.rm(hostDir, { recursive: true, force: true });
    await reg?.stop();
  });

  describe('boot mode (the image has systemd)', () => {
    it('boots systemd and runs the command once the system is up', async () => {
      const r = await rk(['run', '--rm', DEBIAN, 'systemctl', 'is-system-running']);
      expect(r.stdout).to.match(/^(running|degraded)\n$/);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
    });

    it('waits for the boot with `is-system-running --wait` inside, not a poll loop', async () => {
      const r = await rk(['--debug', 'run', '--rm', DEBIAN, 'true']);
      expect(r.code).to.equal(0);
      const asks = r.stderr.split('\n').filter((l) => l.includes('is-system-running'));
      // One wait; a second or third only if one connected in the instant between systemd's
      // bind() and listen() of its socket. Never a poll.
      expect(asks.length).to.be.within(1, 3);
      for (const a of asks) expect(a).to.include('systemctl is-system-running --wait → ');
      expect(asks.at(-1)).to.match(/systemctl is-system-running --wait → 0 in \d+ ms$/);
    });

    it('PID 1 is systemd', async () => {
      expect(seen(await rk(['run', '--rm', DEBIAN, 'cat', '/proc/1/comm']))).to.deep.equal({ code: 0, stdout: 'systemd\n', stderr: '' });
    });

    it('stdout is exactly the command output: no boot noise', async () => {
      expect(seen(await rk(['run', '--rm', DEBIAN, 'echo', 'hello']))).to.deep.equal({ code: 0, stdout: 'hello\n', stderr: '' });
    });

    it('-i passes stdin: echo foo | run -i cat prints exactly foo', async () => {
      expect(seen(await rk(['run', '--rm', '-i', DEBIAN, 'cat'], { input: 'foo\n' }))).to.deep.equal({ code: 0, stdout: 'foo\n', stderr: '' });
    });

    it('without -i the command gets no stdin', async () => {
      expect(seen(await rk(['run', '--rm', DEBIAN, 'cat'], { input: 'foo\n' }))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    });
  });

  describe('direct mode (no systemd, or --no-boot)', () => {
    it('busybox: echo hi', async () => {
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'echo', 'hi']))).to.deep.equal({ code: 0, stdout: 'hi\n', stderr: '' });
    });

    it('busybox: the command is PID 1', async () => {
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo $$']))).to.deep.equal({ code: 0, stdout: '1\n', stderr: '' });
    });

    it('--no-boot on a systemd image runs the command as PID 1', async () => {
      const r = await rk(['run', '--rm', '--no-boot', DEBIAN, 'sh', '-c', 'echo $$; cat /proc/1/comm']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: '1\nsh\n', stderr: '' });
    });

    it('--boot on an image without systemd is refused with 125', async () => {
      expect(seen(await rk(['run', '--rm', '--boot', BUSYBOX, 'true']))).to.deep.equal({
        code: 125,
        stdout: '',
        stderr: `racker: image ${BUSYBOX} has no systemd, so it can't boot (run it with --no-boot)\n`,
      });
    });
  });

  describe('streams', () => {
    const payload = randomBytes(3 * 1024 * 1024);
    for (const [mode, image, extra] of [
      ['boot mode', () => DEBIAN, []],
      ['direct mode (busybox)', () => BUSYBOX, []],
      ['direct mode (--no-boot)', () => DEBIAN, ['--no-boot']],
    ] as const) {
      it(`3 MB of random bytes through run -i cat, byte-identical: ${mode}`, async () => {
        const r = await rackerBinary(['run', '--rm', '-i', ...extra, image(), 'cat'], { root, input: payload });
        expect({ code: r.code, stderr: r.stderr, length: r.stdout.length }).to.deep.equal({ code: 0, stderr: '', length: payload.length });
        expect(r.stdout.equals(payload)).to.equal(true);
      });
    }

    it('stdout and stderr stay apart, nothing else on either (boot mode)', async () => {
      const r = await rk(['run', '--rm', DEBIAN, 'sh', '-c', 'echo out; echo err >&2']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    });

    it('stdout and stderr stay apart, nothing else on either (direct mode, 5 runs)', async () => {
      // nspawn's own messages share the command's stderr pipe in direct mode: when the
      // command writes to stderr just before it ends, they can arrive in the same chunk.
      for (let i = 0; i < 5; i++) {
        const r = await rk(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2']);
        expect(seen(r), `run ${i + 1}`).to.deep.equal({ code: 0, stdout: 'out\n', stderr: 'err\n' });
      }
    });
  });

  describe('options after IMAGE belong to the command', () => {
    it('run DEBIAN ls -la / passes -la to ls', async () => {
      const r = ok(await rk(['run', '--rm', DEBIAN, 'ls', '-la', '/']));
      const lines = r.stdout.split('\n');
      expect(lines[0]).to.match(/^total \d+$/);
      expect(lines[1]).to.match(/^drwx/);
      expect(r.stderr).to.equal('');
    });

    it('run BUSYBOX echo -n x prints exactly x', async () => {
      expect(seen(await rk(['run', '--rm', BUSYBOX, 'echo', '-n', 'x']))).to.deep.equal({ code: 0, stdout: 'x', stderr: '' });
    });

    it("racker's own flags after IMAGE are the command's arguments too", async () => {
      const r = await rk(['run', '--rm', DEBIAN, 'sh', '-c', 'echo "$@"', 'sh', '--rm', '-d', '--name', 'x', '-e', 'A=1']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: '--rm -d --name x -e A=1\n', stderr: '' });
    });
  });

  describe('exit codes', () => {
    for (const [mode, image] of [
      ['boot mode', () => DEBIAN],
      ['direct mode', () => BUSYBOX],
    ] as const) {
      it(`0 and 3: the command's own (${mode})`, async () => {
        expect(seen(await rk(['run', '--rm', image(), 'true']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
        expect(seen(await rk(['run', '--rm', image(), 'sh', '-c', 'exit 3']))).to.deep.equal({ code: 3, stdout: '', stderr: '' });
      });

      it(`126: the command can't be invoked (${mode})`, async () => {
        expect(seen(await rk(['run', '--rm', image(), '/etc']))).to.deep.equal({
          code: 126,
          stdout: '',
          stderr: 'racker: exec: "/etc": permission denied\n',
        });
      });

      it(`127: command not found, with docker's message (${mode})`, async () => {
        expect(seen(await rk(['run', '--rm', image(), 'foo']))).to.deep.equal({
          code: 127,
          stdout: '',
          stderr: 'racker: exec: "foo": executable file not found in $PATH\n',
        });
      });

      it(`137: racker kill, then racker wait prints 137 (${mode})`, async () => {
        const name = `killed-${mode.split(' ')[0]}`;
        try {
          const started = ok(await rk(['run', '-d', '--name', name, image(), 'sleep', '1000']));
          const id = started.stdout.trim();
          ids.push(id);
          await eventually(() => processesInside(root).some((p) => p.comm === 'sleep'), 30_000, 'sleep to run');
          expect(seen(await rk(['kill', name]))).to.deep.equal({ code: 0, stdout: `${name}\n`, stderr: '' });
          expect(seen(await rk(['wait', name]))).to.deep.equal({ code: 0, stdout: '137\n', stderr: '' });
          const row = (await ps()).find((r) => r.Names === name);
          expect(row?.Status).to.match(/^Exited \(137\) /);
          expect(seen(await rk(['rm', name]))).to.deep.equal({ code: 0, stdout: `${name}\n`, stderr: '' });
          await expectNothingLeft({ ids: [id] });
        } finally {
          await rk(['rm', '-f', name]);
        }
      });
    }

    it('137: the command dies of SIGKILL (boot mode: the command is not PID 1)', async () => {
      expect(seen(await rk(['run', '--rm', DEBIAN, 'sh', '-c', 'kill -9 $$']))).to.deep.equal({ code: 137, stdout: '', stderr: '' });
    });

    it('125: an image that is neither local nor pullable', async () => {
      const ref = `${reg.host}/racker/nope:latest`;
      const r = await rk(['run', '--rm', ref, 'true']);
      expect(r.code).to.equal(125);
      expect(r.stdout).to.equal('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).to.equal(`Unable to find image '${ref}' locally`);
      expect(lines.at(-1)).to.match(/^racker: .*not found/);
      expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
    });

    it('125: an unknown image with --pull never', async () => {
      const ref = `${reg.host}/racker/nope:latest`;
      expect(seen(await rk(['run', '--rm', '--pull', 'never', ref, 'true']))).to.deep.equal({
        code: 125,
        stdout: '',
        stderr: `racker: No such image: ${ref}\n`,
      });
    });

    it('125: a bad flag', async () => {
      const r = await rk(['run', '--rm', '--bogus', DEBIAN, 'true']);
      expect(r.code).to.equal(125);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal('racker: unknown flag: --bogus (see racker run --help)\n');
    });

    // A failure after the boot has started (126/127, unknown user, boot timeout) must tear the
    // booted system down as a success does: no systemd left running, no nspawn dir left in /run.
    for (const [what, code, flags, cmd, message] of [
      ['127', 127, [], ['foo'], /^racker: exec: "foo": executable file not found in \$PATH\n$/],
      ['126', 126, [], ['/etc'], /^racker: exec: "\/etc": permission denied\n$/],
      ['125 (unknown user)', 125, ['-u', 'nosuch'], ['true'], /^racker: unable to find user nosuch: no matching entries in passwd file\n$/],
      ['125 (boot timeout)', 125, ['--boot-timeout', '0.2'], ['true'], /^racker: the container did not (finish booting within 0\.2 s|start in time)/],
    ] as const) {
      it(`boot mode, exit ${what}: one clear line, and the booted container is torn down`, async () => {
        const name = `fail-${ids.length}`;
        try {
          const r = await rk(['run', '--name', name, ...flags, DEBIAN, ...cmd]);
          expect(r.stderr).to.match(message);
          const id = await idOf(name);
          await new Promise((res) => setTimeout(res, 300)); // let a dying container go
          const left = await takeLeftovers({ ids: [id], stateDirs: false });
          expect({ code: r.code, stdout: r.stdout, left }).to.deep.equal({ code, stdout: '', left: [] });
        } finally {
          await rk(['rm', '-f', name]);
        }
      });
    }
  });

  describe('-e, --env-file, -w, -u, -v', () => {
    for (const [mode, image] of [
      ['boot mode', () => DEBIAN],
      ['direct mode', () => BUSYBOX],
    ] as const) {
      it(`-e sets a variable, --env-file reads a file (${mode})`, async () => {
        const file = path.join(hostDir, `env-${mode.split(' ')[0]}`);
        writeFileSync(file, 'A=1\n# a comment\n\nB=two words\n');
        const r = await rk(['run', '--rm', '-e', 'FOO=bar', '--env-file', file, image(), 'sh', '-c', 'echo "$FOO|$A|$B"']);
        expect(seen(r)).to.deep.equal({ code: 0, stdout: 'bar|1|two words\n', stderr: '' });
      });

      it(`-e KEY passes the host value; racker's own environment does not leak (${mode})`, async () => {
        const r = await rk(['run', '--rm', '-e', 'PASSED', image(), 'env'], { env: { RACKER_TEST_LEAK: '1', PASSED: 'yes' } });
        expect(r.code).to.equal(0);
        const lines = r.stdout.split('\n');
        expect(lines).to.include('PASSED=yes');
        expect(lines.filter((l) => l.startsWith('RACKER_'))).to.deep.equal([]);
      });

      it(`the environment is docker's: PATH, HOSTNAME, HOME and what was set, nothing from nspawn or the host (${mode})`, async () => {
        const r = ok(await rk(['run', '--rm', '--hostname', 'envhost', '-e', 'FOO=bar', image(), 'env']));
        const vars = Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        // Direct mode: systemd-nspawn adds its own fixed set (container=, TERM, …) that it
        // offers no way to suppress; nothing else, and nothing of the host's environment.
        const NSPAWN_OWN = ['LANG', 'LOGNAME', 'NOTIFY_SOCKET', 'SHLVL', 'PWD', 'TERM', 'USER', 'container', 'container_host_id', 'container_host_version_id', 'container_uuid'];
        const keys = Object.keys(vars).filter((k) => mode === 'boot mode' || !NSPAWN_OWN.includes(k));
        expect(keys.sort()).to.deep.equal(['FOO', 'HOME', 'HOSTNAME', 'PATH']);
        expect(vars).to.include({ FOO: 'bar', HOME: '/root', HOSTNAME: 'envhost' });
      });

      it(`-w changes the working directory (${mode})`, async () => {
        expect(seen(await rk(['run', '--rm', '-w', '/tmp', image(), 'pwd']))).to.deep.equal({ code: 0, stdout: '/tmp\n', stderr: '' });
      });

      it(`-v HOST:CONT is a writable bind mount (${mode})`, async () => {
        const dir = path.join(hostDir, `rw-${mode.split(' ')[0]}`);
        await fs.mkdir(dir);
        const r = await rk(['run', '--rm', '-v', `${dir}:/data`, image(), 'sh', '-c', 'echo inside > /data/f']);
        expect(seen(r)).to.deep.equal({ code: 0, stdout: '', stderr: '' });
        expect(readFileSync(path.join(dir, 'f'), 'utf8')).to.equal('inside\n');
      });

      it(`-v HOST:CONT:ro refuses writes (${mode})`, async () => {
        const dir = path.join(hostDir, `ro-${mode.split(' ')[0]}`);
        await fs.mkdir(dir);
        writeFileSync(path.join(dir, 'seen'), 'from host\n');
        const r = await rk(['run', '--rm', '-v', `${dir}:/data:ro`, image(), 'sh', '-c', 'cat /data/seen; echo x > /data/f']);
        expect(r.code).to.not.equal(0);
        expect(r.stdout).to.equal('from host\n');
        expect(r.stderr).to.match(/Read-only file system/);
        expect(existsSync(path.join(dir, 'f'))).to.equal(false);
      });

      it(`-u with a user that does not exist: 125 and one clear line (${mode})`, async () => {
        expect(seen(await rk(['run', '--rm', '-u', 'nosuch', image(), 'id']))).to.deep.equal({
          code: 125,
          stdout: '',
          stderr: 'racker: unable to find user nosuch: no matching entries in passwd file\n',
        });
      });
    }

    it('-u nobody: id -un prints nobody (boot mode and --no-boot)', async () => {
      expect(seen(await rk(['run', '--rm', '-u', 'nobody', DEBIAN, 'id', '-un']))).to.deep.equal({ code: 0, stdout: 'nobody\n', stderr: '' });
      expect(seen(await rk(['run', '--rm', '--no-boot', '-u', 'nobody', DEBIAN, 'id', '-un']))).to.deep.equal({
        code: 0,
        stdout: 'nobody\n',
        stderr: '',
      });
    });

    it('-u UID:GID with no such entries (direct mode, busybox): the command runs as those ids, as PID 1, HOME=/', async () => {
      const r = await rk(['run', '--rm', '-u', '4321:8765', BUSYBOX, 'sh', '-c', 'echo $(id -u) $(id -g) $$ $HOME; grep -E "^(Uid|Gid|CapEff)" /proc/1/status']);
      expect(seen(r)).to.deep.equal({
        code: 0,
        stdout: '4321 8765 1 /\nUid:\t4321\t4321\t4321\t4321\nGid:\t8765\t8765\t8765\t8765\nCapEff:\t0000000000000000\n',
        stderr: '',
      });
    });

    it('-u NAME:GROUP and -u UID in direct mode: the ids of the image\'s own files, its groups, files in a bind mount owned by them', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-user-'));
      chmodSync(dir, 0o777);
      try {
        expect(seen(await rk(['run', '--rm', '--no-boot', '-u', 'nobody:mail', DEBIAN, 'sh', '-c', 'id -un; id -gn']))).to.deep.equal({ code: 0, stdout: 'nobody\nmail\n', stderr: '' });
        // A uid with a passwd entry: its name, home and groups come from the image's own files.
        expect(seen(await rk(['run', '--rm', '--no-boot', '-u', '13', DEBIAN, 'sh', '-c', 'id; echo $HOME']))).to.deep.equal({
          code: 0,
          stdout: 'uid=13(proxy) gid=13(proxy) groups=13(proxy)\n/bin\n',
          stderr: '',
        });
        expect((await rk(['run', '--rm', '--no-boot', '-u', '1234:1234', '-v', `${dir}:/out`, DEBIAN, 'touch', '/out/made'])).code).to.equal(0);
        const st = statSync(path.join(dir, 'made'));
        expect([st.uid, st.gid]).to.deep.equal([1234, 1234]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--hostname and --name set the host name (both modes)', async () => {
      for (const image of [DEBIAN, BUSYBOX]) {
        expect(seen(await rk(['run', '--rm', '--hostname', 'given', image, 'hostname']))).to.deep.equal({ code: 0, stdout: 'given\n', stderr: '' });
        expect(seen(await rk(['run', '--rm', '--name', 'named', image, 'hostname']))).to.deep.equal({ code: 0, stdout: 'named\n', stderr: '' });
      }
    });

    it('--network none: loopback only (both modes)', async () => {
      for (const image of [DEBIAN, BUSYBOX]) {
        expect(seen(await rk(['run', '--rm', '--network', 'none', image, 'ls', '/sys/class/net']))).to.deep.equal({
          code: 0,
          stdout: 'lo\n',
          stderr: '',
        });
      }
    });
  });

  describe("the image's config", () => {
    it('Cmd runs when no command is given', async () => {
      expect(seen(await rk(['run', '--rm', MULTI]))).to.deep.equal({ code: 0, stdout: 'layer3\n', stderr: '' });
      expect(seen(await rk(['run', '--rm', '--no-boot', MULTI]))).to.deep.equal({ code: 0, stdout: 'layer3\n', stderr: '' });
    });

    it('WorkingDir and Env apply (boot mode and --no-boot); -e overrides Env', async () => {
      expect(seen(await rk(['run', '--rm', MULTI, 'pwd']))).to.deep.equal({ code: 0, stdout: '/opt/fixture\n', stderr: '' });
      expect(seen(await rk(['run', '--rm', MULTI, 'printenv', 'FIXTURE']))).to.deep.equal({ code: 0, stdout: 'multilayer\n', stderr: '' });
      expect(seen(await rk(['run', '--rm', '--no-boot', MULTI, 'sh', '-c', 'pwd; printenv FIXTURE']))).to.deep.equal({
        code: 0,
        stdout: '/opt/fixture\nmultilayer\n',
        stderr: '',
      });
      expect(seen(await rk(['run', '--rm', '-e', 'FIXTURE=over', MULTI, 'printenv', 'FIXTURE']))).to.deep.equal({
        code: 0,
        stdout: 'over\n',
        stderr: '',
      });
    });

    it('--entrypoint replaces the command', async () => {
      expect(seen(await rk(['run', '--rm', '--entrypoint', '/bin/echo', DEBIAN, 'hi', 'there']))).to.deep.equal({
        code: 0,
        stdout: 'hi there\n',
        stderr: '',
      });
    });
  });

  describe('many containers', () => {
    it('4 containers of one image in parallel: all succeed, four distinct host names', async () => {
      const results = await Promise.all([1, 2, 3, 4].map(() => rk(['run', '--rm', DEBIAN, 'hostname'])));
      expect(results.map((r) => ({ code: r.code, stderr: r.stderr }))).to.deep.equal(Array(4).fill({ code: 0, stderr: '' }));
      const names = results.map((r) => r.stdout);
      for (const n of names) expect(n).to.match(/^[a-z0-9-]+\n$/);
      expect(new Set(names).size).to.equal(4);
    });
  });

  describe('pseudo-terminal', () => {
    /** Run racker under script(1), which gives it a terminal of 30 rows, 100 columns. */
    function underPty(args: string[]): Promise<CliResult> {
      const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
      const line = `stty rows 30 cols 100; exec ${[process.execPath, rackerBin, ...args].map(q).join(' ')}`;
      return new Promise((resolve, reject) => {
        const child = spawn('script', ['--quiet', '--return', '--command', line, '/dev/null'], {
          env: { ...process.env, RACKER_ROOT: root, RACKER_DEBUG: undefined } as NodeJS.ProcessEnv,
          // stdin stays open: at EOF script(1) sends the terminal an end-of-file, which
          // the line discipline echoes as "^@" into the output.
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
      });
    }

    it('-it gives a real terminal of the caller\'s size, named inside the container, and nothing else on it (boot mode)', async () => {
      // The terminal is the container's own (its devpts): tty(1) names a device that exists there.
      const r = await underPty(['run', '--rm', '-it', DEBIAN, 'sh', '-c', 'test -t 0 && test -t 1 && stty size && t=$(tty) && test -c "$t" && echo "${t%%[0-9]*}"']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: '30 100\r\n/dev/pts/\r\n', stderr: '' });
    });

    // -t alone attaches no stdin (issue 23 item 12); the size comes from racker's output terminal.
    // Boot mode leaves that terminal cooked, as docker does without -i (its \n after the pty's
    // \r\n); in direct mode systemd-nspawn makes it raw whatever its stdin.
    it('-t without -i: a terminal of the caller\'s size all the same, taking no input (both modes)', async () => {
      const boot = await underPty(['run', '--rm', '-t', DEBIAN, 'sh', '-c', 'test -t 0 && test -t 1 && stty size']);
      expect(seen(boot)).to.deep.equal({ code: 0, stdout: '30 100\r\n', stderr: '' });
      const ask = 'for i in 1 2 3 4 5 6 7 8 9 10; do busybox stty size 2>/dev/null && exit 0; sleep 0.1; done; exit 1';
      const direct = await underPty(['run', '--rm', '-t', BUSYBOX, 'sh', '-c', `test -t 0 && test -t 1 && { ${ask}; }`]);
      expect(seen(direct)).to.deep.equal({ code: 0, stdout: '30 100\r\n', stderr: '' });
    });

    it('-it gives a real terminal of the caller\'s size, and nothing else on it (direct mode)', async () => {
      // systemd-nspawn copies the window size onto its pty only after the container's
      // command has started (its pty forwarder is set up last), so the first ask may
      // see 0x0 — busybox then says just "stty: standard input". Ask again briefly;
      // the size must arrive, and nothing else may reach the terminal.
      const ask = 'for i in 1 2 3 4 5 6 7 8 9 10; do busybox stty size 2>/dev/null && exit 0; sleep 0.1; done; exit 1';
      const r = await underPty(['run', '--rm', '-it', BUSYBOX, 'sh', '-c', `test -t 0 && test -t 1 && { ${ask}; }`]);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: '30 100\r\n', stderr: '' });
    });

    it('without -t there is no terminal, even when racker has one', async () => {
      const r = await underPty(['run', '--rm', DEBIAN, 'sh', '-c', 'test -t 0 || test -t 1 || echo no tty']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: 'no tty\r\n', stderr: '' });
    });
  });

  describe('a system container: run -d, ps, exec, inspect, stop, rm', () => {
    let webId: string;

    it('run -d --name web prints the 64-hex ID', async () => {
      const r = await rk(['run', '-d', '--name', 'web', DEBIAN]);
      expect(r.stdout).to.match(/^[0-9a-f]{64}\n$/);
      expect({ code: r.code, stderr: r.stderr }).to.deep.equal({ code: 0, stderr: '' });
      webId = r.stdout.trim();
      ids.push(webId);
      keepRunning = true;
    });

    it('ps shows web Up, with docker\'s columns', async () => {
      const r = ok(await rk(['ps']));
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
      const row = lines.find((l) => l.endsWith(' web'));
      expect(row).to.be.a('string');
      expect(row!.startsWith(`${webId.slice(0, 12)}   ${DEBIAN}`)).to.equal(true);
      expect(row).to.match(/\sUp (Less than a second|\d+ seconds?)\s/);
      expect(ok(await rk(['ps', '-q', '-f', 'name=web'])).stdout).to.equal(`${webId.slice(0, 12)}\n`);
      expect(ok(await rk(['ps', '-q', '--no-trunc', '-f', 'name=web'])).stdout).to.equal(`${webId}\n`);
    });

    it('exec: systemctl is-system-running', async () => {
      const r = await rk(['exec', 'web', 'systemctl', 'is-system-running']);
      expect(r.stdout).to.match(/^(running|degraded)\n$/);
      expect({ code: r.code, stderr: r.stderr }).to.deep.equal({ code: 0, stderr: '' });
    });

    it('exec: stdout, stderr and the exit code are the command\'s', async () => {
      expect(seen(await rk(['exec', 'web', 'sh', '-c', 'echo out; echo err >&2; exit 4']))).to.deep.equal({ code: 4, stdout: 'out\n', stderr: 'err\n' });
    });

    it('exec: -i, -e, -w, -u, and 126 for a command that is not there (docker exec\'s code; run says 127)', async () => {
      expect(seen(await rk(['exec', '-i', 'web', 'cat'], { input: 'foo\n' }))).to.deep.equal({ code: 0, stdout: 'foo\n', stderr: '' });
      expect(seen(await rk(['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'echo "$X $(pwd) $(id -un)"']))).to.deep.equal({
        code: 0,
        stdout: '1 /tmp nobody\n',
        stderr: '',
      });
      expect(seen(await rk(['exec', 'web', 'foo']))).to.deep.equal({
        code: 126,
        stdout: '',
        stderr: 'racker: exec: "foo": executable file not found in $PATH\n',
      });
    });

    it('a second container named web: 125 Conflict', async () => {
      const r = await rk(['run', '-d', '--name', 'web', DEBIAN]);
      expect(r.code).to.equal(125);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(
        `racker: Conflict. The container name "/web" is already in use by container "${webId}". You have to remove (or rename) that container to be able to reuse that name.\n`,
      );
      expect((await ps()).filter((c) => c.Names === 'web')).to.have.length(1);
    });

    it('inspect web: docker-shaped JSON', async () => {
      const r = ok(await rk(['inspect', 'web']));
      const [c] = JSON.parse(r.stdout) as Array<Record<string, any>>;
      expect(c!.Id).to.equal(webId);
      expect(c!.Name).to.equal('/web');
      expect(c!.State.Status).to.equal('running');
      expect(c!.State.Running).to.equal(true);
      expect(c!.State.Pid).to.be.a('number').above(0);
      expect(Date.parse(c!.State.StartedAt)).to.be.a('number').and.not.NaN;
      expect(c!.Config.Image).to.equal(DEBIAN);
      expect(c!.Config.Env).to.be.an('array').that.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
      expect(c!.Config.Hostname).to.equal('web');
      expect(c!.Mounts).to.deep.equal([]);
    });

    it('stop web prints web; ps -a shows Exited (0)', async () => {
      keepRunning = false;
      expect(seen(await rk(['stop', 'web']))).to.deep.equal({ code: 0, stdout: 'web\n', stderr: '' });
      const row = (await ps()).find((c) => c.Names === 'web');
      expect(row?.Status).to.match(/^Exited \(0\) /);
      expect((await ps(false)).filter((c) => c.Names === 'web')).to.deep.equal([]);
      const [c] = JSON.parse(ok(await rk(['inspect', 'web'])).stdout) as Array<Record<string, any>>;
      expect(c!.State).to.include({ Status: 'exited', Running: false, ExitCode: 0, Pid: 0 });
      await expectNothingLeft({ ids: [webId], stateDirs: false });
    });

    it('exec into a stopped container: 1 (a client-side failure, as docker)', async () => {
      const r = await rk(['exec', 'web', 'true']);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(/^racker: .*is not running\n$/);
    });

    it('rm web removes it; ps -a -q is empty', async () => {
      expect(seen(await rk(['rm', 'web']))).to.deep.equal({ code: 0, stdout: 'web\n', stderr: '' });
      expect(seen(await rk(['ps', '-a', '-q']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(seen(await rk(['rm', 'web']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such container: web\n' });
      await expectNothingLeft({ ids: [webId] });
    });
  });

  describe('a detached job: run -d, wait, logs', () => {
    it('direct mode: wait prints 0, logs keeps stdout and stderr apart', async () => {
      const r = await rk(['run', '-d', '--name', 'job', BUSYBOX, 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three']);
      expect(r.stdout).to.match(/^[0-9a-f]{64}\n$/);
      expect({ code: r.code, stderr: r.stderr }).to.deep.equal({ code: 0, stderr: '' });
      ids.push(r.stdout.trim());
      expect(seen(await rk(['wait', 'job']))).to.deep.equal({ code: 0, stdout: '0\n', stderr: '' });
      expect(seen(await rk(['logs', 'job']))).to.deep.equal({ code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
      expect(seen(await rk(['logs', '--tail', '1', 'job']))).to.deep.equal({ code: 0, stdout: 'three\n', stderr: '' });
      const t = ok(await rk(['logs', '-t', 'job']));
      const lines = t.stdout.trimEnd().split('\n');
      expect(lines).to.have.length(2);
      for (const l of lines) expect(l).to.match(RFC3339);
      expect(lines.map((l) => l.replace(RFC3339, ''))).to.deep.equal(['one', 'three']);
      expect(t.stderr).to.match(RFC3339);
      expect(t.stderr.replace(RFC3339, '')).to.equal('two\n');
      const row = (await ps()).find((c) => c.Names === 'job');
      expect(row?.Status).to.match(/^Exited \(0\) /);
      expect(seen(await rk(['rm', 'job']))).to.deep.equal({ code: 0, stdout: 'job\n', stderr: '' });
    });

    it('boot mode: wait prints the command\'s exit code, logs has its output', async () => {
      const r = ok(await rk(['run', '-d', '--name', 'bjob', DEBIAN, 'sh', '-c', 'echo a; echo b >&2; exit 5']));
      const id = r.stdout.trim();
      ids.push(id);
      expect(seen(await rk(['wait', 'bjob']))).to.deep.equal({ code: 0, stdout: '5\n', stderr: '' });
      expect(seen(await rk(['logs', 'bjob']))).to.deep.equal({ code: 0, stdout: 'a\n', stderr: 'b\n' });
      expect((await ps()).find((c) => c.Names === 'bjob')?.Status).to.match(/^Exited \(5\) /);
      ok(await rk(['rm', 'bjob']));
      await expectNothingLeft({ ids: [id] });
    });
  });

  describe('cleanup', () => {
    it('--rm leaves nothing: no state dir, no mount, no process', async () => {
      const before = await psIds();
      const baseline = stateDirs(root).map((d) => `state ${d}`);
      await rk(['run', '--rm', DEBIAN, 'true']);
      await rk(['run', '--rm', BUSYBOX, 'true']);
      await rk(['run', '--rm', '--no-boot', DEBIAN, 'sh', '-c', 'exit 7']);
      const d = ok(await rk(['run', '-d', '--rm', '--name', 'drm', BUSYBOX, 'sleep', '1']));
      expect(d.stdout).to.match(/^[0-9a-f]{64}\n$/);
      expect(seen(await rk(['wait', 'drm']))).to.deep.equal({ code: 0, stdout: '0\n', stderr: '' });
      const b = ok(await rk(['run', '-d', '--rm', '--name', 'drm-boot', DEBIAN, 'sleep', '1']));
      expect(b.stdout).to.match(/^[0-9a-f]{64}\n$/);
      expect(seen(await rk(['wait', 'drm-boot']))).to.deep.equal({ code: 0, stdout: '0\n', stderr: '' });
      expect(await psIds()).to.deep.equal(before);
      await expectNothingLeft({}, baseline);
    });

    it("a --rm container's overlay is volatile (no syncs to wait for at teardown); a kept one is not", async () => {
      // The root mount's super options, as the container sees them.
      const rootOptions = ['sh', '-c', "awk '$5 == \"/\" { print $NF }' /proc/self/mountinfo"];
      const gone = ok(await rk(['run', '--rm', BUSYBOX, ...rootOptions]));
      // Linux 6.x shows the option as fsync=volatile, 5.x as volatile.
      expect(gone.stdout.trim().split(',').some((o) => o === 'volatile' || o === 'fsync=volatile'), gone.stdout).to.equal(true);
      const kept = ok(await rk(['run', '--name', 'not-volatile', BUSYBOX, ...rootOptions]));
      expect(kept.stdout).to.match(/lowerdir=/);
      expect(kept.stdout).not.to.match(/volatile/);
      ok(await rk(['rm', 'not-volatile']));
    });

    let crashId = '';
    it('crash recovery: racker killed -9 mid-run; ps tells the truth; rm -f cleans up (boot mode)', async () => {
      const before = await psIds();
      const baseline = stateDirs(root).map((d) => `state ${d}`);
      try {
        const run = startRacker(['run', '--name', 'crash', DEBIAN, 'sleep', '1000'], { root });
        await eventually(() => processesInside(root).some((p) => p.comm === 'sleep'), 30_000, 'sleep to run in the container');
        crashId = await idOf('crash');
        run.child.kill('SIGKILL'); // racker alone, not its process group
        await run.result;
        const row = (await ps(false)).find((r) => r.Names === 'crash');
        expect(row?.State).to.equal('running');
        expect(row?.Status).to.match(/^Up /);
        expect(processesInside(root).some((p) => p.comm === 'sleep')).to.equal(true);
        expect(seen(await rk(['rm', '-f', 'crash']))).to.deep.equal({ code: 0, stdout: 'crash\n', stderr: '' });
        expect(await psIds()).to.deep.equal(before);
        await expectNothingLeft({}, baseline);
      } finally {
        await rk(['rm', '-f', 'crash']);
      }
    });

    it("crash recovery: rm -f also leaves no systemd-nspawn directory in /run", async () => {
      expect(crashId).to.match(/^[0-9a-f]{64}$/);
      await expectNothingLeft({ ids: [crashId], stateDirs: false });
    });

    it('crash recovery: the command ends after racker was killed -9; ps -a shows it exited (direct mode)', async () => {
      try {
        const run = startRacker(['run', '--name', 'crash2', BUSYBOX, 'sleep', '1'], { root });
        await eventually(() => processesInside(root).some((p) => p.comm === 'sleep'), 30_000, 'sleep to run in the container');
        const [c] = JSON.parse(ok(await rk(['inspect', 'crash2'])).stdout) as Array<Record<string, any>>;
        ids.push(c!.Id);
        run.child.kill('SIGKILL');
        await run.result;
        // nspawn outlives racker and exits with its payload; on a host whose PID 1 is slow to
        // reap orphans it stays a zombie for a while, which must not count as running.
        const nspawnPid = c!.Racker.NspawnPid as number;
        await eventually(() => processState(nspawnPid) !== 'S' && processState(nspawnPid) !== 'R', 10_000, 'nspawn to exit');
        const row = (await ps()).find((r) => r.Names === 'crash2');
        expect(row?.State).to.equal('exited');
        expect(row?.Status).to.match(/^Exited \(\d+\) /);
        expect(seen(await rk(['rm', 'crash2']))).to.deep.equal({ code: 0, stdout: 'crash2\n', stderr: '' });
        await expectNothingLeft({ ids: [c!.Id] });
      } finally {
        await rk(['rm', '-f', 'crash2']);
      }
    });

    /** racker's result, or a failure if it does not exit in time (then it is killed). */
    async function finish(run: Started, ms: number, what: string): Promise<CliResult> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          run.child.kill('SIGKILL');
          reject(new Error(`racker did not exit within ${ms / 1000} s after ${what}`));
        }, ms);
      });
      try {
        return await Promise.race([run.result, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }

    /** The one container there is, once its command runs and racker has recorded its PID 1. */
    async function commandUp(): Promise<void> {
      await eventually(() => processesInside(root).some((p) => p.comm === 'sleep'), 30_000, 'sleep to run in the container');
      await eventually(
        async () => {
          const q = (await rk(['ps', '-q', '--no-trunc'])).stdout.trim();
          if (!/^[0-9a-f]{64}$/.test(q)) return false;
          const [c] = JSON.parse((await rk(['inspect', q])).stdout) as Array<Record<string, any>>;
          return c!.State.Pid > 0;
        },
        30_000,
        'racker to record the container as running',
      );
    }

    for (const [mode, image] of [
      ['boot mode', () => DEBIAN],
      ['direct mode', () => BUSYBOX],
    ] as const) {
      it(`Ctrl-C (SIGINT to racker's process group) on run --rm: exit 130, silent, nothing remains (${mode})`, async () => {
        const before = await psIds();
        const baseline = stateDirs(root).map((d) => `state ${d}`);
        const run = startRacker(['run', '--rm', image(), 'sleep', '1000'], { root });
        await commandUp();
        process.kill(-run.pid, 'SIGINT');
        const r = await finish(run, 15_000, 'SIGINT');
        const left = await takeLeftovers({}, baseline);
        expect({ ...seen(r), left }).to.deep.equal({ code: 130, stdout: '', stderr: '', left: [] });
        expect(await psIds()).to.deep.equal(before);
      });

      // SIGHUP: the terminal racker ran in was closed (an ssh session gone): the same cleanup as Ctrl-C.
      for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
        it(`${signal} to racker run --rm: exit ${code}, nothing remains (${mode})`, async () => {
          const before = await psIds();
          const baseline = stateDirs(root).map((d) => `state ${d}`);
          const run = startRacker(['run', '--rm', image(), 'sleep', '1000'], { root });
          await commandUp();
          process.kill(run.pid, signal);
          const r = await finish(run, 15_000, signal);
          const left = await takeLeftovers({}, baseline);
          expect({ ...seen(r), left }).to.deep.equal({ code, stdout: '', stderr: '', left: [] });
          expect(await psIds()).to.deep.equal(before);
        });
      }
    }

    it('Ctrl-C while systemd is still booting: exit 130, nothing remains (boot mode)', async () => {
      const before = await psIds();
      const baseline = stateDirs(root).map((d) => `state ${d}`);
      const run = startRacker(['run', '--rm', DEBIAN, 'sleep', '1000'], { root });
      // systemd exists inside, the system is not up yet (boot takes a few hundred ms).
      await eventually(() => processesInside(root).some((p) => p.comm === 'systemd'), 30_000, 'systemd to start');
      process.kill(-run.pid, 'SIGINT');
      const r = await finish(run, 15_000, 'SIGINT');
      await new Promise((res) => setTimeout(res, 300)); // let a dying container go
      const left = await takeLeftovers({}, baseline);
      expect({ ...seen(r), left }).to.deep.equal({ code: 130, stdout: '', stderr: '', left: [] });
      expect(await psIds()).to.deep.equal(before);
    });

    it('Ctrl-C the moment the command starts: exit 130, nothing remains (direct mode)', async () => {
      const before = await psIds();
      const baseline = stateDirs(root).map((d) => `state ${d}`);
      const run = startRacker(['run', '--rm', BUSYBOX, 'sleep', '1000'], { root });
      // No pause between polls: signal as soon as the command is PID 1 of its container.
      const deadline = Date.now() + 30_000;
      const cache = {};
      while (nspawnPayload(root, cache)?.comm !== 'sleep' && Date.now() < deadline);
      process.kill(-run.pid, 'SIGINT');
      const r = await finish(run, 10_000, 'SIGINT').catch((err: Error) => ({ code: err.message, stdout: '' }));
      const left = await takeLeftovers({}, baseline);
      expect({ code: r.code, stdout: r.stdout, left }).to.deep.equal({ code: 130, stdout: '', left: [] });
      expect(await psIds()).to.deep.equal(before);
    });

    it('finally: after rm -f of everything, no container, mount or process remains under RACKER_ROOT', async () => {
      const all = ok(await rk(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (all.length) ok(await rk(['rm', '-f', ...all]));
      expect(seen(await rk(['ps', '-a', '-q']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      await expectNothingLeft();
    });
  });
});

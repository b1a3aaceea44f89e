/**
 * Issue 23, items 1–7: stop and kill end what they say they end, the exit code is the main
 * process's own (as docker reports it), `run -d --rm` of a short command prints its ID,
 * --hostname wins over the image's /etc/hostname, a missing working directory is made, ps
 * filters as docker's, `logs | head` ends quietly. Items 1–3 again under load: 8 containers stopped at
 * once, round after round, with the leak check after each round.
 */
import { expect } from 'chai';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { collect, ok, racker, rackerBin, seen, tempRoot } from '../helpers/cli.js';
import { HostileImages } from '../helpers/hostile-images.js';
import { eventually, killLeftovers, leftovers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { stateOf } from '../../lib/exec/procfs.js';
import { nsentersInto } from '../../lib/container/entered.js';

const TRAP5 = ['sh', '-c', 'trap "exit 5" TERM; sleep 100 & wait'];
// 8 rounds in `npm test` (~1 min); `npm run test:stress` runs 50.
const ROUNDS = Number(process.env.RACKER_LIFECYCLE_ROUNDS ?? 8);


describe('lifecycle (integration, issue 23): stop, kill and exit codes as docker has them', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let DEBIAN: string;
  let BUSYBOX: string;
  let NAMED: string; // debian with /etc/hostname "imagehost", like a provisioned label
  let images: HostileImages;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000 });

  async function started(args: string[]): Promise<string> {
    const r = await rk(['run', '-d', ...args]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^[0-9a-f]{64}\n$/);
    return r.stdout.trim();
  }

  async function state(id: string): Promise<{ Status: string; ExitCode: number; Pid: number }> {
    return JSON.parse((await rk(['inspect', id])).stdout)[0].State;
  }

  /** After each test: every container removed, nothing left on the host. */
  async function removeAllAndCheck(): Promise<void> {
    const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await rk(['rm', '-f', ...ids])).code).to.equal(0);
    const left = leftovers(root);
    if (left.length) await killLeftovers(root);
    expect(left).to.deep.equal([]);
  }

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry({ writable: true });
    root = tempRoot('racker-lifecycle-');
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    images = new HostileImages(reg);
    NAMED = await images.build({ base: 'library/debian:bookworm', name: 'racker/named:1', planted: [{ path: 'etc/hostname', file: 'imagehost\n' }] });
    for (const ref of [DEBIAN, BUSYBOX, NAMED]) expect((await rk(['pull', '-q', ref])).code).to.equal(0);
  });
  afterEach(removeAllAndCheck);
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    images?.remove();
    await reg?.stop();
  });

  it('item 1: stop -t 1 of a booted container whose command runs, 2 s after start: it exits (143), nothing is left', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await started([DEBIAN, 'sleep', 'infinity']);
      await new Promise((r) => setTimeout(r, 2000));
      const leader = (await state(id)).Pid;
      expect(seen(await rk(['stop', '-t', '1', id]))).to.deep.equal({ code: 0, stdout: `${id}\n`, stderr: '' });
      expect(await state(id)).to.include({ Status: 'exited', ExitCode: 143 });
      // No nsenter left stopped (T) holding the container's end.
      expect(nsentersInto(leader).map((p) => stateOf(p))).to.deep.equal([]);
      expect(leftovers(root, { stateDirs: false })).to.deep.equal([]);
    }
  });

  it('item 1: kill of the same: 137, and rm -f of a running one leaves nothing', async () => {
    const id = await started([DEBIAN, 'sleep', 'infinity']);
    expect((await rk(['kill', id])).code).to.equal(0);
    expect(seen(await rk(['wait', id]))).to.deep.equal({ code: 0, stdout: '137\n', stderr: '' });
    await started(['--name', 'forced', DEBIAN, 'sleep', 'infinity']);
    expect(seen(await rk(['rm', '-f', 'forced']))).to.deep.equal({ code: 0, stdout: 'forced\n', stderr: '' });
    expect(leftovers(root, { stateDirs: false })).to.deep.equal([]);
  });

  it('item 1: stop of a system container while an exec runs: the exec ends (143), the container powers off (0)', async () => {
    const id = await started([DEBIAN]);
    const exec = rk(['exec', id, 'sleep', '1000']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(seen(await rk(['stop', '-t', '20', id]))).to.deep.equal({ code: 0, stdout: `${id}\n`, stderr: '' });
    expect((await exec).code).to.equal(143);
    expect(await state(id)).to.include({ Status: 'exited', ExitCode: 0 });
  });

  for (const mode of ['boot', 'direct'] as const) {
    it(`item 3: a command that traps SIGTERM and exits 5 reports 5 after stop, and after kill -s TERM (${mode} mode)`, async () => {
      const image = mode === 'boot' ? [DEBIAN] : ['--no-boot', DEBIAN];
      const a = await started([...image, ...TRAP5]);
      const b = await started([...image, ...TRAP5]);
      await new Promise((r) => setTimeout(r, 500));
      expect((await rk(['stop', a])).code).to.equal(0);
      expect((await rk(['kill', '-s', 'TERM', b])).code).to.equal(0);
      expect(seen(await rk(['wait', a, b]))).to.deep.equal({ code: 0, stdout: '5\n5\n', stderr: '' });
    });
  }

  it('item 2: run -d --rm of a command that ends at once prints the ID and exits 0; a missing command is 127, nothing kept', async () => {
    for (const image of [BUSYBOX, DEBIAN]) {
      for (let i = 0; i < 3; i++) await started(['--rm', image, 'sh', '-c', 'echo bye']);
    }
    expect(seen(await rk(['run', '-d', '--rm', BUSYBOX, 'nope']))).to.deep.equal({
      code: 127,
      stdout: '',
      stderr: 'racker: exec: "nope": executable file not found in $PATH\n',
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await rk(['ps', '-aq'])).stdout).to.equal('');
  });

  it("item 4: --hostname (and the name's hostname) win over the image's /etc/hostname, as on a provisioned label", async () => {
    expect(seen(await rk(['run', '--rm', '--hostname', 'foo', NAMED, 'sh', '-c', 'hostname; cat /etc/hostname']))).to.deep.equal({ code: 0, stdout: 'foo\nfoo\n', stderr: '' });
    expect(seen(await rk(['run', '--rm', '--name', 'bar', NAMED, 'hostname']))).to.deep.equal({ code: 0, stdout: 'bar\n', stderr: '' });
  });

  it('item 6: ps filters of one key are alternatives, name= is a regular expression, a bad status is an error', async () => {
    for (const name of ['alpha', 'beta', 'gamma']) expect((await rk(['run', '--name', name, BUSYBOX, 'true'])).code).to.equal(0);
    const listed = async (args: string[]) => (await rk(['ps', '-a', '--format', 'json', ...args])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).Names).sort();
    expect(await listed(['-f', 'name=alpha', '-f', 'name=beta'])).to.deep.equal(['alpha', 'beta']);
    expect(await listed(['-f', 'name=^/?(alpha|gamma)$'])).to.deep.equal(['alpha', 'gamma']);
    expect(seen(await rk(['ps', '-f', 'status=bogus']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: "racker: invalid filter 'status=bogus': one of created, restarting, running, removing, paused, exited, dead\n",
    });
  });

  it('item 7: racker logs C | head: the first lines, then a quiet end (141, as docker dies of SIGPIPE), no stack trace', async () => {
    expect((await rk(['run', '--name', 'chatty', BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done'])).code).to.equal(0);
    const r = await collect(['bash', '-c', `${process.execPath} ${rackerBin} logs chatty | head -2; echo "racker exit \${PIPESTATUS[0]}"`], {
      env: { ...process.env, RACKER_ROOT: root, RACKER_DEBUG: undefined },
      timeoutMs: 60_000,
    });
    expect({ code: r.code, stdout: r.stdout.toString(), stderr: r.stderr }).to.deep.equal({ code: 0, stdout: 'line 0\nline 1\nracker exit 141\n', stderr: '' });
  });

  it('item 8: Go templates in ps --format, images --format and inspect -f', async () => {
    expect((await rk(['run', '--name', 'tmpl', '-e', 'A=1', BUSYBOX, 'sh', '-c', 'exit 3'])).code).to.equal(3);
    expect(seen(await rk(['ps', '-a', '--format', '{{.Names}} {{.State}}']))).to.deep.equal({ code: 0, stdout: 'tmpl exited\n', stderr: '' });
    const table = await rk(['ps', '-a', '--format', 'table {{.Names}}\\t{{.Image}}']);
    expect(table.stdout).to.equal(`NAMES     IMAGE\ntmpl      ${BUSYBOX}\n`);
    expect(seen(await rk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{json .Config.Cmd}}', 'tmpl']))).to.deep.equal({
      code: 0,
      stdout: 'exited 3 ["sh","-c","exit 3"]\n',
      stderr: '',
    });
    expect((await rk(['inspect', '--format', '{{index .Config.Env 0}}', 'tmpl'])).stdout).to.match(/^PATH=|^A=1/);
    const images = (await rk(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean).sort();
    expect(images).to.include(BUSYBOX);
    expect(seen(await rk(['inspect', '-f', '{{nope}}', 'tmpl']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: template parsing error: function "nope" not defined\n' });
  });

  it('item 9 (part): stop -s, --net, -v ./relative with :z', async () => {
    const id = await started([BUSYBOX, 'sh', '-c', 'trap "exit 7" USR1; sleep 100 & wait']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rk(['stop', '-s', 'USR1', id])).code).to.equal(0);
    expect(seen(await rk(['wait', id]))).to.deep.equal({ code: 0, stdout: '7\n', stderr: '' });
    expect(seen(await rk(['run', '--rm', '--net', 'none', BUSYBOX, 'sh', '-c', 'ls /sys/class/net']))).to.deep.equal({ code: 0, stdout: 'lo\n', stderr: '' });
    const dir = await fs.mkdtemp(path.join(root, 'rel-'));
    await fs.writeFile(path.join(dir, 'f'), 'relative\n');
    const r = await racker(['run', '--rm', '-v', './:/v:ro,z', BUSYBOX, 'cat', '/v/f'], { root, cwd: dir });
    expect(seen(r)).to.deep.equal({ code: 0, stdout: 'relative\n', stderr: '' });
    // ps -n / -l: the newest, whatever their state; images REPOSITORY[:TAG]; inspect --type.
    for (const name of ['first', 'second']) expect((await rk(['run', '--name', name, BUSYBOX, 'true'])).code).to.equal(0);
    expect((await rk(['ps', '-n', '2', '--format', '{{.Names}}'])).stdout).to.equal('second\nfirst\n');
    expect((await rk(['ps', '-l', '--format', '{{.Names}}'])).stdout).to.equal('second\n');
    const repo = BUSYBOX.slice(0, BUSYBOX.lastIndexOf(':'));
    expect((await rk(['images', repo, '--format', '{{.Repository}}:{{.Tag}}'])).stdout).to.equal(`${BUSYBOX}\n`);
    expect((await rk(['images', `${repo}:nope`, '-q'])).stdout).to.equal('');
    expect(seen(await rk(['inspect', '--type', 'image', '-f', '{{.Id}}', 'first']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such object: first\n' });
    expect((await rk(['inspect', '--type', 'container', '-f', '{{.Name}}', 'first'])).stdout).to.equal('/first\n');
  });

  it('item 10 (part): restart keeps the files and starts a new run; container and image management commands', async () => {
    const id = await started(['--name', 'again', DEBIAN]);
    expect((await rk(['exec', 'again', 'touch', '/root/kept'])).code).to.equal(0);
    const before = (await state(id)).Pid;
    expect(seen(await rk(['restart', '-t', '5', 'again']))).to.deep.equal({ code: 0, stdout: 'again\n', stderr: '' });
    const after = await state(id);
    expect(after).to.include({ Status: 'running' });
    expect(after.Pid).not.to.equal(before);
    expect((await rk(['exec', 'again', 'test', '-e', '/root/kept'])).code).to.equal(0);
    expect(seen(await rk(['container', 'ls', '--format', '{{.Names}}']))).to.deep.equal({ code: 0, stdout: 'again\n', stderr: '' });
    expect(seen(await rk(['container', 'stop', 'again']))).to.deep.equal({ code: 0, stdout: 'again\n', stderr: '' });
    expect((await rk(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n')).to.include(BUSYBOX);
    expect(seen(await rk(['container', 'checkpoint', 'a', 'b']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: "racker: 'container checkpoint' is not a racker command: container has ls, list, ps, run, create, exec, attach, rename, start, stop, restart, kill, rm, remove, wait, logs, inspect, prune, commit, cp, diff, export, top, port, pause, unpause, stats, update\n",
    });
  });

  it("item 11: a command's own failure exits 1, run's 125; an unknown flag is docker's line (125) and takes no word with it", async () => {
    const none = 'racker: No such container: nosuch\n';
    for (const verb of [['start'], ['stop'], ['kill'], ['rm'], ['wait'], ['logs'], ['restart'], ['exec', '-w', '/']]) {
      const args = verb[0] === 'exec' ? [...verb, 'nosuch', 'true'] : [...verb, 'nosuch'];
      expect(seen(await rk(args)), verb.join(' ')).to.deep.equal({ code: 1, stdout: '', stderr: none });
    }
    expect(seen(await rk(['rmi', 'nosuch']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such image: nosuch\n' });
    expect(seen(await rk(['pull', 'UPPER']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: invalid reference format: repository name (library/UPPER) must be lowercase\n' });
    expect(seen(await rk(['run', '--pull', 'never', '--rm', 'nosuch/image']))).to.deep.include({ code: 125, stdout: '' });
    // The flag is named, not the word after it taken as its value (then "requires at least 1 argument").
    const id = await started([BUSYBOX, 'sleep', '100']);
    expect(seen(await rk(['rm', '--bogus', id]))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: unknown flag: --bogus (see racker rm --help)\n' });
    expect(seen(await rk(['ps', '-qx']))).to.deep.equal({ code: 125, stdout: '', stderr: "racker: unknown shorthand flag: 'x' in -qx (see racker ps --help)\n" });
    expect(seen(await rk(['run', '--bogus', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: unknown flag: --bogus (see racker run --help)\n' });
    expect((await rk(['ps', '-q', '--no-trunc'])).stdout).to.equal(`${id}\n`);
  });

  it('--rm containers: start -a, attach and wait still report the output and exit code of a container removed at its end', async () => {
    ok(await rk(['create', '--rm', '--name', 'quick', BUSYBOX, 'sh', '-c', 'echo hi; exit 3']));
    expect(seen(await rk(['start', '-a', 'quick']))).to.deep.equal({ code: 3, stdout: 'hi\n', stderr: '' });
    expect(seen(await rk(['ps', '-aq']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    ok(await rk(['run', '-d', '--rm', '--name', 'later', BUSYBOX, 'sh', '-c', 'sleep 1; echo bye; exit 4']));
    const [attached, waited] = await Promise.all([rk(['attach', 'later']), rk(['wait', 'later'])]);
    expect(seen(attached)).to.deep.equal({ code: 4, stdout: 'bye\n', stderr: '' });
    expect(seen(waited)).to.deep.equal({ code: 0, stdout: '4\n', stderr: '' });
    expect(seen(await rk(['wait', 'later']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such container: later\n' });
  });

  it('item 10: create (state created; start runs it), attach, rename, tag, version, info', async () => {
    const version = JSON.parse(await fs.readFile(path.join(rackerBin, '../../../package.json'), 'utf8')).version as string;
    const c = await rk(['create', '--name', 'later', BUSYBOX, 'sh', '-c', 'sleep 2; echo world; exit 4']);
    expect({ code: c.code, stderr: c.stderr }).to.deep.equal({ code: 0, stderr: '' });
    expect(c.stdout).to.match(/^[0-9a-f]{64}\n$/);
    const id = c.stdout.trim();
    expect(await state(id)).to.include({ Status: 'created' });
    expect(seen(await rk(['ps', '-a', '--format', '{{.Names}} {{.State}}']))).to.deep.equal({ code: 0, stdout: 'later created\n', stderr: '' });
    expect(seen(await rk(['create', '-d', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: "racker: unknown shorthand flag: 'd' in -d (see racker create --help)\n" });
    expect(seen(await rk(['rename', 'later', 'renamed']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(seen(await rk(['start', 'renamed']))).to.deep.equal({ code: 0, stdout: 'renamed\n', stderr: '' });
    // From now on, until it ends; racker's exit code is the container's.
    expect(seen(await rk(['attach', 'renamed']))).to.deep.equal({ code: 4, stdout: 'world\n', stderr: '' });
    expect(await state(id)).to.include({ Status: 'exited', ExitCode: 4 });
    expect(seen(await rk(['attach', 'renamed']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: You cannot attach to a stopped container, start it first\n' });
    const other = (await rk(['create', '--name', 'other', BUSYBOX, 'true'])).stdout.trim();
    expect(seen(await rk(['rename', 'other', 'renamed']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `racker: Error when allocating new name: Conflict. The container name "/renamed" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`,
    });
    expect((await rk(['inspect', '-f', '{{.Name}}', other])).stdout).to.equal('/other\n');

    expect(seen(await rk(['tag', BUSYBOX, 'mine/box:v1']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    const ids = async (ref: string) => (await rk(['images', '-q', ref])).stdout;
    expect(await ids('mine/box:v1')).to.equal(await ids(BUSYBOX));
    expect(seen(await rk(['run', '--rm', 'mine/box:v1', 'echo', 'tagged']))).to.deep.equal({ code: 0, stdout: 'tagged\n', stderr: '' });
    expect(seen(await rk(['tag', 'nosuch', 'mine/box:v2']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such image: nosuch\n' });

    expect(seen(await rk(['version', '--format', '{{.Client.Version}} {{.Server.Version}} {{.Server.ApiVersion}}']))).to.deep.equal({ code: 0, stdout: `${version} ${version} 1.43\n`, stderr: '' });
    const text = (await rk(['version'])).stdout;
    expect(text).to.match(new RegExp(`^Client:\n Version: +${version}\n API version: +1\\.43\n[^]*\nServer: racker\n Engine:\n  Version: +${version}\n`));
    expect(seen(await rk(['info', '--format', '{{.Containers}} {{.ContainersRunning}} {{.ServerVersion}}']))).to.deep.equal({ code: 0, stdout: `2 0 ${version}\n`, stderr: '' });
    expect((await rk(['info'])).stdout).to.contain('\nServer:\n Containers: 2\n  Running: 0\n  Paused: 0\n  Stopped: 2\n');
  });

  it('item 9: start -a/-i, exec -d, logs --since/--until/--details, ps -s, inspect --size, images -a/--digests/--filter', async () => {
    // start -a: this run's output, then its exit code; -i: racker's stdin for a container created with -i.
    const c = (await rk(['create', '--name', 'once', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 3'])).stdout.trim();
    expect(seen(await rk(['start', '-a', 'once']))).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(seen(await rk(['start', '-a', c]))).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await rk(['create', '-i', '--name', 'reader', BUSYBOX, 'sh', '-c', 'read line; echo "got $line"'])).code).to.equal(0);
    expect(seen(await racker(['start', '-ai', 'reader'], { root, input: 'hello\n' }))).to.deep.equal({ code: 0, stdout: 'got hello\n', stderr: '' });
    expect(seen(await rk(['start', '-a', 'once', 'reader']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: you cannot start and attach multiple containers at once\n' });

    // exec -d: back at once, the command runs on in the container.
    const id = await started(['--name', 'bg', BUSYBOX, 'sleep', '100']);
    expect(seen(await rk(['exec', '-d', 'bg', 'sh', '-c', 'sleep 1; echo done > /tmp/marker']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect((await rk(['exec', 'bg', 'cat', '/tmp/marker'])).code).to.equal(1);
    await eventually(async () => (await rk(['exec', 'bg', 'cat', '/tmp/marker'])).stdout === 'done\n', 10_000, 'the exec -d command to finish');
    expect(seen(await rk(['exec', '-d', 'nosuch', 'true']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such container: nosuch\n' });

    // ps -s and inspect --size: what the container wrote (a 100000-byte file) and that plus its image.
    expect((await rk(['exec', 'bg', 'sh', '-c', 'head -c 100000 /dev/zero > /big'])).code).to.equal(0);
    const [inspected] = JSON.parse((await rk(['inspect', '--size', 'bg'])).stdout);
    const image = JSON.parse((await rk(['inspect', BUSYBOX])).stdout)[0];
    expect(inspected.SizeRw).to.be.within(100_000, 110_000);
    expect(inspected.SizeRootFs).to.equal(inspected.SizeRw + image.Size);
    expect(JSON.parse((await rk(['inspect', 'bg'])).stdout)[0]).not.to.have.property('SizeRw');
    expect((await rk(['ps', '-s', '--format', '{{.Names}} {{.Size}}'])).stdout).to.match(/^bg 10\d(\.\d+)?kB \(virtual [\d.]+[kM]B\)\n$/);
    expect((await rk(['ps', '-s'])).stdout.split('\n')[0]).to.match(/NAMES +SIZE$/);
    expect((await rk(['rm', '-f', id])).code).to.equal(0);

    // logs: --since/--until as times, unix seconds or durations; --details: a leading space (no attributes).
    expect((await rk(['run', '--name', 'talk', BUSYBOX, 'sh', '-c', 'echo one; sleep 2; echo two'])).code).to.equal(0);
    const stamped = (await rk(['logs', '-t', 'talk'])).stdout.split('\n').filter(Boolean);
    expect(stamped).to.have.length(2);
    for (const l of stamped) expect(l).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (one|two)$/);
    const second = stamped[1]!.split(' ')[0]!;
    expect((await rk(['logs', '--since', second, 'talk'])).stdout).to.equal('two\n');
    expect((await rk(['logs', '--until', second.replace(/\.\d+Z$/, 'Z'), 'talk'])).stdout).to.equal('one\n');
    expect((await rk(['logs', '--since', String(Date.parse(second) / 1000), 'talk'])).stdout).to.equal('two\n');
    expect((await rk(['logs', '--since', '1h', 'talk'])).stdout).to.equal('one\ntwo\n');
    expect((await rk(['logs', '--since', '2000-01-01', '--until', '2001-01-01', 'talk'])).stdout).to.equal('');
    expect((await rk(['logs', '--details', 'talk'])).stdout).to.equal(' one\n two\n');
    expect(seen(await rk(['logs', '--since', 'yesterday', 'talk']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'racker: invalid value for "since": failed to parse value as time or duration: "yesterday"\n',
    });

    // images: -a (the same list: no intermediate images), --digests, --filter.
    expect((await rk(['tag', BUSYBOX, 'mine/box:v1'])).code).to.equal(0);
    const repo = BUSYBOX.slice(0, BUSYBOX.lastIndexOf(':'));
    expect((await rk(['images', '-a', '-q'])).stdout).to.equal((await rk(['images', '-q'])).stdout);
    const digests = (await rk(['images', '--digests', repo])).stdout.split('\n');
    expect(digests[0]).to.match(/^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);
    expect(digests[1]).to.match(new RegExp(`^${repo.replace(/[.]/g, '\\.')} +latest +sha256:[0-9a-f]{64} +[0-9a-f]{12} `));
    const names = async (...f: string[]) => (await rk(['images', ...f.flatMap((x) => ['--filter', x]), '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean).sort();
    expect(await names('reference=mine/*')).to.deep.equal(['mine/box:v1']);
    expect(await names('reference=mine/*', `reference=${repo}`)).to.deep.equal([BUSYBOX, 'mine/box:v1'].sort());
    expect(await names('dangling=true')).to.deep.equal([]);
    expect(await names('label=no.such.label')).to.deep.equal([]);
    expect((await names('dangling=false')).length).to.equal((await rk(['images', '-q'])).stdout.split('\n').filter(Boolean).length + 1);
    expect(seen(await rk(['images', '--filter', 'color=red']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: "racker: invalid filter 'color=red' (racker supports dangling, label, before, since, reference)\n",
    });
  });

  it('item 9: an anonymous volume (-v /data) belongs to its container: rm keeps it, rm -v and --rm remove it', async () => {
    const volumes = async () => (await fs.readdir(path.join(root, 'lib/volumes')).catch(() => [] as string[])).sort();
    const before = await volumes();
    const mountOf = async (c: string) => JSON.parse((await rk(['inspect', c])).stdout)[0].Mounts[0];
    expect((await rk(['run', '--name', 'v1', '-v', '/data', BUSYBOX, 'sh', '-c', 'echo kept > /data/f'])).code).to.equal(0);
    const m1 = await mountOf('v1');
    expect(m1).to.include({ Type: 'volume', Destination: '/data', RW: true });
    expect(m1.Source).to.equal(path.join(root, 'lib/volumes', m1.Name, '_data'));
    expect(await fs.readFile(path.join(m1.Source, 'f'), 'utf8')).to.equal('kept\n');
    expect(seen(await rk(['rm', 'v1']))).to.deep.equal({ code: 0, stdout: 'v1\n', stderr: '' });
    expect(await fs.readFile(path.join(m1.Source, 'f'), 'utf8')).to.equal('kept\n');
    await fs.rm(path.join(root, 'lib/volumes', m1.Name), { recursive: true });

    expect((await rk(['run', '--name', 'v2', '-v', '/data', '-v', '/other/', BUSYBOX, 'true'])).code).to.equal(0);
    expect((await volumes()).length).to.equal(before.length + 2);
    expect(seen(await rk(['rm', '-v', 'v2']))).to.deep.equal({ code: 0, stdout: 'v2\n', stderr: '' });
    expect(await volumes()).to.deep.equal(before);

    expect(seen(await rk(['run', '--rm', '-v', '/data', BUSYBOX, 'sh', '-c', 'touch /data/x && ls /data']))).to.deep.equal({ code: 0, stdout: 'x\n', stderr: '' });
    expect(await volumes()).to.deep.equal(before);
  });

  it('--stop-signal and --stop-timeout are what stop uses when not told otherwise; shown by inspect', async () => {
    const id = ok(await rk(['run', '-d', '--stop-signal', 'USR1', '--stop-timeout', '1', BUSYBOX, 'sh', '-c', 'trap "echo usr1; exit 7" USR1; while :; do sleep 0.1; done'])).stdout.trim();
    expect(seen(await rk(['inspect', '-f', '{{.Config.StopSignal}} {{.Config.StopTimeout}}', id]))).to.deep.equal({ code: 0, stdout: 'SIGUSR1 1\n', stderr: '' });
    ok(await rk(['stop', id]));
    expect(seen(await rk(['inspect', '-f', '{{.State.ExitCode}}', id]))).to.deep.equal({ code: 0, stdout: '7\n', stderr: '' });
    expect((await rk(['logs', id])).stdout).to.equal('usr1\n');
    // Ignoring its stop signal: killed after its own timeout (1 s), not docker's default 10.
    const deaf = ok(await rk(['run', '-d', '--stop-timeout', '1', BUSYBOX, 'sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'])).stdout.trim();
    const t0 = Date.now();
    ok(await rk(['stop', deaf]));
    expect(Date.now() - t0).to.be.below(6000);
    expect(seen(await rk(['inspect', '-f', '{{.State.ExitCode}}', deaf]))).to.deep.equal({ code: 0, stdout: '137\n', stderr: '' });
    expect(seen(await rk(['run', '--rm', '--stop-signal', 'NOPE', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: invalid signal: NOPE\n' });
  });

  it('--tmpfs mounts a fresh tmpfs (docker\'s noexec,nosuid,nodev unless told); --init runs tini as PID 1, which reaps and passes signals on', async () => {
    expect(seen(await rk(['run', '--rm', '--tmpfs', '/scratch', '--tmpfs', '/big:size=1m,mode=700', BUSYBOX, 'sh', '-c', 'grep -E " /(scratch|big) " /proc/mounts | sort']))).to.deep.equal({
      code: 0,
      stdout: 'tmpfs /big tmpfs rw,nodev,size=1024k,mode=700 0 0\ntmpfs /scratch tmpfs rw,nosuid,nodev,noexec 0 0\n',
      stderr: '',
    });
    expect(seen(await rk(['run', '--rm', '--tmpfs', 'relative', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: "racker: invalid tmpfs specification: 'relative': the container path must be absolute\n" });
    // PID 1 is tini; the command is its child; an orphan it adopted is reaped (no zombie left).
    const r = await rk(['run', '--rm', '--init', BUSYBOX, 'sh', '-c', 'tr "\\0" "\\n" < /proc/1/cmdline | head -1; echo $$; sh -c "sleep 0.1 & exit 0"; sleep 0.5; grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l']);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: '/run/racker/init\n2\n0\n', stderr: '' });
    const id = ok(await rk(['run', '-d', '--init', BUSYBOX, 'sleep', '100'])).stdout.trim();
    // sleep as PID 1 would ignore SIGTERM (no handler, and PID 1); under tini it ends at once.
    const t0 = Date.now();
    ok(await rk(['stop', '-t', '5', id]));
    expect(Date.now() - t0).to.be.below(4000);
    expect(seen(await rk(['inspect', '-f', '{{.State.ExitCode}} {{.HostConfig.Init}}', id]))).to.deep.equal({ code: 0, stdout: '143 true\n', stderr: '' });
  });

  it('--health-cmd: checked inside every interval; starting, unhealthy after the retries, healthy once it passes; State.Health and ps show it', async () => {
    const id = ok(await rk(['run', '-d', '--health-cmd', 'test -e /tmp/ok && echo fine', '--health-interval', '200ms', '--health-retries', '2', BUSYBOX, 'sleep', '100'])).stdout.trim();
    const health = async () => JSON.parse(ok(await rk(['inspect', '-f', '{{json .State.Health}}', id])).stdout) as { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] };
    const until = async (status: string) => {
      for (let i = 0; i < 50; i++) {
        const h = await health();
        if (h.Status === status) return h;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`never ${status}: ${JSON.stringify(await health())}`);
    };
    const bad = await until('unhealthy');
    expect(bad.FailingStreak).to.be.at.least(2);
    expect(bad.Log.at(-1)).to.deep.include({ ExitCode: 1, Output: '' });
    expect((await rk(['ps', '--format', '{{.Status}}'])).stdout).to.match(/^Up .* \(unhealthy\)\n$/);
    ok(await rk(['exec', id, 'sh', '-c', ': > /tmp/ok']));
    const good = await until('healthy');
    expect(good).to.deep.include({ FailingStreak: 0 });
    expect(good.Log.at(-1)).to.deep.include({ ExitCode: 0, Output: 'fine\n' });
    expect((await rk(['ps', '--format', '{{.Status}}'])).stdout).to.match(/^Up .* \(healthy\)\n$/);
    expect(JSON.parse(ok(await rk(['inspect', '-f', '{{json .Config.Healthcheck}}', id])).stdout)).to.deep.equal({
      Test: ['CMD-SHELL', 'test -e /tmp/ok && echo fine'],
      Interval: 200e6,
      Timeout: 30e9,
      StartPeriod: 0,
      Retries: 2,
    });
    ok(await rk(['rm', '-f', id]));
    expect(seen(await rk(['run', '--rm', '--health-interval', 'soon', '--health-cmd', 'true', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: invalid duration: soon (e.g. 30s, 1m30s, 500ms)\n' });
  });

  it('--restart: the supervisor runs it again (on-failure within its count, always until stopped by hand); a foreground run hands it over; not with --rm', async () => {
    const inspect = async (c: string) => (await rk(['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', c])).stdout;
    const until = async (c: string, want: RegExp) => {
      for (let i = 0; i < 60 && !want.test(await inspect(c)); i++) await new Promise((r) => setTimeout(r, 100));
      return inspect(c);
    };
    ok(await rk(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', BUSYBOX, 'sh', '-c', 'echo run; exit 3']));
    expect(await until('flaky', /^2 exited/)).to.equal('2 exited 3\n');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await inspect('flaky')).to.equal('2 exited 3\n');
    expect((await rk(['logs', 'flaky'])).stdout).to.equal('run\nrun\nrun\n');
    expect(seen(await rk(['inspect', '-f', '{{json .HostConfig.RestartPolicy}}', 'flaky']))).to.deep.equal({ code: 0, stdout: '{"Name":"on-failure","MaximumRetryCount":2}\n', stderr: '' });

    ok(await rk(['run', '-d', '--name', 'forever', '--restart', 'always', BUSYBOX, 'sh', '-c', 'sleep 0.2']));
    expect(await until('forever', /^[2-9]\d* /)).to.match(/^[2-9]\d* /);
    ok(await rk(['stop', 'forever']));
    const stopped = await until('forever', / exited /);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inspect('forever')).to.equal(stopped);

    // Foreground: racker exits with the code; the container goes on under a detached supervisor.
    expect(seen(await rk(['run', '--name', 'fg', '--restart', 'on-failure:1', BUSYBOX, 'sh', '-c', 'echo fg; exit 4']))).to.deep.equal({ code: 4, stdout: 'fg\n', stderr: '' });
    expect(await until('fg', /^1 exited/)).to.equal('1 exited 4\n');
    expect(seen(await rk(['run', '--rm', '--restart', 'always', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: conflicting options: cannot specify both --restart and --rm\n' });
    expect(seen(await rk(['run', '--restart', 'sometimes', BUSYBOX, 'true']))).to.deep.equal({
      code: 125,
      stdout: '',
      stderr: 'racker: invalid restart policy: sometimes (no, always, unless-stopped, on-failure[:max-retries])\n',
    });
    ok(await rk(['rm', '-f', 'flaky', 'forever', 'fg']));
  });

  it('attach feeds a running container\'s open stdin (run -di): the command reads what attach sends; --no-stdin sends nothing', async () => {
    ok(await rk(['run', '-di', '--name', 'reader', BUSYBOX, 'sh', '-c', 'read line; echo "got $line"; exit 6']));
    const silent = await racker(['attach', '--no-stdin', 'reader'], { root, input: 'ignored\n', timeoutMs: 3000 });
    expect(silent.signal).to.equal('SIGKILL'); // still waiting for a line: nothing was sent
    expect(seen(await racker(['attach', 'reader'], { root, input: 'hello\n', timeoutMs: 30_000 }))).to.deep.equal({ code: 6, stdout: 'got hello\n', stderr: '' });
    ok(await rk(['rm', 'reader']));
  });

  it('a new volume starts with what the image has at its path (anonymous, and a named one on its first use), links copied as links', async () => {
    // The busybox image's /bin is busybox and links to it: without the copy, sh is not found.
    const count = 'ls /bin | wc -l; readlink /bin/sh; stat -c %a /bin';
    const image = ok(await rk(['run', '--rm', BUSYBOX, 'sh', '-c', count])).stdout;
    expect(image).to.match(/^\d+\nbusybox\n755\n$/);
    expect(seen(await rk(['run', '--rm', '-v', '/bin', BUSYBOX, 'sh', '-c', count]))).to.deep.equal({ code: 0, stdout: image, stderr: '' });
    expect(seen(await rk(['run', '--rm', '-v', 'tools:/bin', BUSYBOX, 'sh', '-c', `${count}; touch /bin/mine`]))).to.deep.equal({ code: 0, stdout: image, stderr: '' });
    // Not empty any more: kept as it is, the image's files not copied again over it.
    expect(seen(await rk(['run', '--rm', '-v', 'tools:/srv', BUSYBOX, 'ls', '/srv/mine']))).to.deep.equal({ code: 0, stdout: '/srv/mine\n', stderr: '' });
    ok(await rk(['volume', 'rm', 'tools']));
    // The image is hostile: its /data is a link to /etc, which means the image's /etc, never the host's.
    const linked = await images.build({ base: 'racker/busybox:latest', name: 'hostile/volume-link:1', planted: [{ path: 'data', symlink: '/etc' }] });
    // (What a running container shows in /etc, less the files racker writes there at the start.)
    const written = ['hostname', 'hosts', 'resolv.conf'];
    const inImage = ok(await rk(['run', '--rm', linked, 'ls', '-A', '/etc'])).stdout.split('\n').filter((n) => n && !written.includes(n));
    ok(await rk(['create', '--name', 'linkvol', '-v', '/data', linked, 'true']));
    const source = JSON.parse((await rk(['inspect', 'linkvol'])).stdout)[0].Mounts[0].Source as string;
    expect((await fs.readdir(source)).sort()).to.deep.equal(inImage);
    expect(existsSync('/etc/passwd') && !existsSync(path.join(source, 'passwd'))).to.equal(true);
    ok(await rk(['rm', '-v', 'linkvol']));
  });

  it("item 12: pull's layer lines on stdout; a digest pull adds no second row; image inspect has RepoTags; an uppercase repository name", async () => {
    const fresh = tempRoot('racker-lifecycle-pull-');
    try {
      const p = await racker(['pull', BUSYBOX], { root: fresh });
      expect({ code: p.code, stderr: p.stderr }).to.deep.equal({ code: 0, stderr: '' });
      const lines = p.stdout.split('\n');
      expect(lines[0]).to.equal('latest: Pulling from racker/busybox');
      expect(lines.filter((l) => /^[a-f0-9]{12}: Pull complete$/.test(l)).length).to.be.greaterThan(0);
      expect(lines.slice(-3)).to.deep.equal([`Status: Downloaded newer image for ${BUSYBOX}`, BUSYBOX, '']);
    } finally {
      await fs.rm(fresh, { recursive: true, force: true });
    }
    const repo = BUSYBOX.slice(0, BUSYBOX.lastIndexOf(':'));
    await rk(['rmi', 'mine/box:v1']); // other tests tag it; absent when this runs alone
    expect(seen(await rk(['inspect', '-f', '{{json .RepoTags}}', BUSYBOX]))).to.deep.equal({ code: 0, stdout: `["${BUSYBOX}"]\n`, stderr: '' });
    const byDigest = (await rk(['inspect', '-f', '{{index .RepoDigests 0}}', BUSYBOX])).stdout.trim();
    expect(byDigest).to.match(new RegExp(`^${repo.replace(/[.]/g, '\\.')}@sha256:[a-f0-9]{64}$`));
    expect((await rk(['pull', '-q', byDigest])).code).to.equal(0);
    expect((await rk(['images', repo, '--format', '{{.Repository}} {{.Tag}}'])).stdout).to.equal(`${repo} latest\n`);
    expect((await rk(['images', '--filter', 'dangling=true', '-q'])).stdout).to.equal('');
    expect(seen(await rk(['run', '--rm', 'user/Case', 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: invalid reference format: repository name (user/Case) must be lowercase\n' });
  });

  it('item 9: pull -a pulls every tag of the repository; a tag with -a is refused', async () => {
    for (const tag of ['1', '2']) await images.build({ base: 'racker/busybox:latest', name: `racker/tags:${tag}`, planted: [{ path: 'etc/tag', file: `${tag}\n` }] });
    const repo = `${reg.host}/racker/tags`;
    const fresh = tempRoot('racker-lifecycle-pull-all-');
    try {
      const p = await racker(['pull', '-a', repo], { root: fresh });
      expect({ code: p.code, stderr: p.stderr }).to.deep.equal({ code: 0, stderr: '' });
      const lines = p.stdout.split('\n');
      expect(lines.filter((l) => / Pulling from /.test(l))).to.deep.equal(['1: Pulling from racker/tags', '2: Pulling from racker/tags']);
      expect(lines.slice(-2)).to.deep.equal([repo, '']);
      expect((await racker(['images', repo, '--format', '{{.Tag}}'], { root: fresh })).stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['1', '2']);
      expect(seen(await racker(['run', '--rm', `${repo}:2`, 'cat', '/etc/tag'], { root: fresh }))).to.deep.equal({ code: 0, stdout: '2\n', stderr: '' });
      expect(seen(await racker(['pull', '-a', `${repo}:1`], { root: fresh }))).to.deep.equal({ code: 1, stdout: '', stderr: "racker: tag can't be used with --all-tags/-a\n" });
      expect(seen(await racker(['pull', '-a', `${reg.host}/racker/nothing-here`], { root: fresh }))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: repository racker/nothing-here not found\n' });
    } finally {
      await fs.rm(fresh, { recursive: true, force: true });
    }
  });

  it('item 9: run -dit keeps a shell waiting for input (no terminal: its output goes to the log), as -di does', async () => {
    // Direct mode (busybox), and boot mode (debian: the command runs through nsenter).
    for (const [flags, image] of [[['-dit'], BUSYBOX], [['-di'], BUSYBOX], [['-d', '-i'], DEBIAN]] as const) {
      const r = await rk(['run', ...flags, image!, 'sh', '-c', 'echo ready; read line; echo "never $line"']);
      expect({ code: r.code, stderr: r.stderr }, flags.join(' ')).to.deep.equal({ code: 0, stderr: '' });
      const id = r.stdout.trim();
      await new Promise((res) => setTimeout(res, 1500));
      expect((await state(id)).Status, flags.join(' ')).to.equal('running');
      expect(seen(await rk(['logs', id])), flags.join(' ')).to.deep.equal({ code: 0, stdout: 'ready\n', stderr: '' });
      expect((await rk(['inspect', '-f', '{{.Config.Tty}} {{.Config.OpenStdin}}', id])).stdout).to.equal('false true\n');
    }
    // Without -i the command reads end of file at once, as in docker.
    const closed = await started([BUSYBOX, 'sh', '-c', 'read line || echo eof']);
    expect(seen(await rk(['wait', closed]))).to.deep.equal({ code: 0, stdout: '0\n', stderr: '' });
    expect((await rk(['logs', closed])).stdout).to.equal('eof\n');
  });

  it("item 12: -t without -i attaches no stdin; direct mode's environment is docker's (no nspawn variables); -e takes docker's names", async () => {
    const probe = ['sh', '-c', 'if timeout 2 head -c1 >/dev/null; then echo read; else echo nothing; fi'];
    for (const image of [BUSYBOX, DEBIAN]) {
      const r = await racker(['run', '-t', '--rm', image, ...probe], { root, input: 'hello\n' });
      expect({ code: r.code, nothing: /nothing\r\n$/.test(r.stdout), read: /read/.test(r.stdout) }, `${image}: ${JSON.stringify(r.stdout)}`).to.deep.equal({ code: 0, nothing: true, read: false });
    }
    const names = (stdout: string) => stdout.split(/\r?\n/).filter(Boolean).map((l) => l.split('=')[0]).sort();
    const plain = await rk(['run', '--rm', '--name', 'envy', BUSYBOX, 'env']);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(names(plain.stdout)).to.deep.equal(['HOME', 'HOSTNAME', 'PATH']);
    expect(plain.stdout).to.contain('HOSTNAME=envy\n');
    const tty = await racker(['run', '-t', '--rm', '-e', 'my.var=1', '-e', 'GRÜSSE=grüße', BUSYBOX, 'env'], { root });
    expect(names(tty.stdout)).to.deep.equal(['GRÜSSE', 'HOME', 'HOSTNAME', 'PATH', 'TERM', 'my.var']);
    for (const line of ['TERM=xterm', 'my.var=1', 'GRÜSSE=grüße']) expect(tty.stdout.split('\r\n')).to.include(line);
  });

  it("item 12 (part): run -it and exec -it from a stdin that is not a terminal: docker's one line, exit 1, nothing started", async () => {
    expect(seen(await rk(['run', '-it', '--rm', BUSYBOX, 'sh']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: the input device is not a TTY\n' });
    expect(seen(await rk(['exec', '-it', 'anything', 'sh']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: the input device is not a TTY\n' });
    expect((await rk(['ps', '-aq'])).stdout).to.equal('');
  });

  it('item 5: -w names a directory that does not exist: it is made, as docker does (boot and direct mode)', async () => {
    expect(seen(await rk(['run', '--rm', '-w', '/new/dir', DEBIAN, 'pwd']))).to.deep.equal({ code: 0, stdout: '/new/dir\n', stderr: '' });
    expect(seen(await rk(['run', '--rm', '-w', '/new/dir', BUSYBOX, 'pwd']))).to.deep.equal({ code: 0, stdout: '/new/dir\n', stderr: '' });
  });

  it(`items 1–3 under load: 8 containers stopped at once, ${ROUNDS} rounds, the leak check after each`, async function () {
    this.timeout(ROUNDS * 60_000);
    for (let round = 0; round < ROUNDS; round++) {
      // Two booted, six direct (booting four systemds a round on two cores took five minutes in all).
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => started([...(i % 4 ? ['--no-boot'] : []), DEBIAN, ...TRAP5])));
      const quick = Promise.all(Array.from({ length: 4 }, () => started(['--rm', BUSYBOX, 'true'])));
      const stops = await Promise.all(ids.map((id) => rk(['stop', '-t', '5', id])));
      expect(stops.map((s) => s.code), `round ${round}`).to.deep.equal(Array(8).fill(0));
      await quick;
      expect(seen(await rk(['wait', ...ids])), `round ${round}`).to.deep.equal({ code: 0, stdout: '5\n'.repeat(8), stderr: '' });
      expect((await rk(['rm', ...ids])).code).to.equal(0);
      // The --rm ones remove themselves once their command has ended.
      await eventually(async () => (await rk(['ps', '-aq'])).stdout === '', 20_000, 'the --rm containers to be gone');
      expect(leftovers(root), `round ${round}`).to.deep.equal([]);
    }
  });
});

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CliResult, ok, racker, rackerBin, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { makeShellUser, removeShellUser } from '../helpers/users.js';

describe('racker shell and racker start (integration)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let home: string;
  let uid: number;
  // A real account on the host, as `sudo racker shell` would see it through SUDO_USER.
  const user = `rkshell${process.pid % 10_000}`;
  const pet = `shell-${user}-debian-bookworm`;
  let env: Record<string, string>;
  const shell = (args: string[], opts: { cwd?: string; input?: string } = {}) => racker(['shell', ...args], { root, env, ...opts });

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
    home = path.join(root, 'home', user);
    mkdirSync(path.join(home, 'project'), { recursive: true });
    uid = makeShellUser(user, home, 'Shell Tester');
    // The label's base image comes from the fixture registry standing in for Docker Hub.
    env = { SUDO_USER: user, RACKER_REGISTRY_MIRROR: reg.host };
  });

  after(async function () {
    this.timeout(60_000);
    if (root) {
      await racker(['rm', '-f', pet, 'pet'], { root }).catch(() => undefined);
      await killLeftovers(root);
    }
    removeShellUser(user);
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('first use pulls the label and runs the command as the invoking user', async function () {
    this.timeout(300_000);
    const r = ok(await shell(['debian-bookworm', '--', 'id', '-un']));
    expect(r.stdout).to.equal(`${user}\n`);
  });

  it('the account inside has the same uid, gid, home and shell; the cwd under home is kept', async () => {
    const r = ok(
      await shell(['debian-bookworm', 'sh', '-c', 'id -u; id -g; echo "$HOME"; echo "$SHELL"; echo "$USER"; pwd; getent passwd "$USER" | cut -d: -f5-7'], {
        cwd: path.join(home, 'project'),
      }),
    );
    expect(r.stdout.split('\n')).to.deep.equal([
      String(uid),
      String(uid),
      home,
      '/bin/bash',
      user,
      path.join(home, 'project'),
      `Shell Tester:${home}:/bin/bash`,
      '',
    ]);
  });

  it('a directory outside home is not kept: the command starts in home', async () => {
    const r = ok(await shell(['debian-bookworm', 'pwd'], { cwd: '/tmp' }));
    expect(r.stdout).to.equal(`${home}\n`);
  });

  it('a file written to $HOME inside is on the host, owned by the user', async () => {
    ok(await shell(['debian-bookworm', 'sh', '-c', 'echo from-inside > "$HOME/written-inside"']));
    const file = path.join(home, 'written-inside');
    expect(readFileSync(file, 'utf8')).to.equal('from-inside\n');
    const st = statSync(file);
    expect([st.uid, st.gid]).to.deep.equal([uid, uid]);
  });

  it('the host DNS configuration is inside', async () => {
    const r = ok(await shell(['debian-bookworm', 'cat', '/etc/resolv.conf']));
    expect(r.stdout).to.equal(readFileSync('/etc/resolv.conf', 'utf8'));
  });

  it('without a command: a login shell reading stdin', async () => {
    const r = ok(await shell(['debian-bookworm'], { input: 'shopt -q login_shell && echo "login $0 $((40 + 2))"\n' }));
    expect(r.stdout).to.equal('login /bin/bash 42\n');
  });

  it('the container persists: one pet, reused, started again after a stop', async function () {
    this.timeout(120_000);
    ok(await shell(['debian-bookworm', 'touch', '/var/tmp/pet-marker']));
    const ps = ok(await racker(['ps', '-a', '--format', 'json'], { root }));
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((c) => [c.Names, c.State])).to.deep.equal([[pet, 'running']]);

    expect(ok(await racker(['stop', pet], { root })).stdout).to.equal(`${pet}\n`);
    expect((await racker(['ps', '-q'], { root })).stdout).to.equal('');
    const again = await shell(['debian-bookworm', 'test', '-e', '/var/tmp/pet-marker']);
    expect(again.code, again.stderr).to.equal(0);
  });

  describe('a process in the pet points /etc elsewhere (issue 26): the account is written inside, or refused', () => {
    let hostDir: string;
    const inPet = (script: string) => racker(['exec', '-w', '/', pet, 'sh', '-c', script], { root });
    before(async function () {
      this.timeout(120_000);
      ok(await shell(['debian-bookworm', 'true'])); // the pet, running (mocha runs these after the tests above)
      hostDir = mkdtempSync('/var/tmp/racker-shell-etc-');
      writeFileSync(path.join(hostDir, 'keep'), 'host\n');
    });
    afterEach(async () => {
      // Put the pet's /etc back for the tests after these.
      ok(await inPet('if [ -L /etc ]; then rm /etc && mv /etc.real /etc; fi'));
    });
    after(async () => fs.rm(hostDir, { recursive: true, force: true }));

    it('/etc -> a host directory (missing inside): the files go to that path inside the pet; the host directory is untouched', async () => {
      ok(await inPet(`mv /etc /etc.real && ln -s ${hostDir} /etc`));
      const r = ok(await shell(['debian-bookworm', 'sh', '-c', 'id -un; readlink /etc']));
      expect(r.stdout).to.equal(`${user}\n${hostDir}\n`);
      expect(readdirSync(hostDir)).to.deep.equal(['keep']);
      expect(ok(await inPet(`cut -d: -f1,3 ${hostDir}/passwd | grep ${user}`)).stdout).to.equal(`${user}:${uid}\n`);
    });

    it('/etc -> a loop inside that is a real directory on the host: one line, and nothing written there', async () => {
      // Inside: /etc -> H/etc, H -> /etc: a loop. On the host: H/etc is a directory (where /etc -> /etc
      // would have been the host's own /etc; a decoy keeps a regression from breaking this machine).
      mkdirSync(path.join(hostDir, 'etc'));
      ok(await inPet(`rm -rf ${hostDir} && ln -s /etc ${hostDir} && mv /etc /etc.real && ln -s ${hostDir}/etc /etc`));
      const r = await shell(['debian-bookworm', 'true']);
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([1, '', 'racker: too many levels of symbolic links in /etc/passwd\n']);
      expect(readdirSync(path.join(hostDir, 'etc'))).to.deep.equal([]);
      ok(await inPet(`rm /etc && mv /etc.real /etc && rm ${hostDir}`));
    });
  });

  it('--reset starts afresh; --rm removes the container afterwards', async function () {
    this.timeout(120_000);
    const reset = await shell(['--reset', 'debian-bookworm', 'test', '-e', '/var/tmp/pet-marker']);
    expect(reset.code).to.equal(1);
    ok(await shell(['--rm', 'debian-bookworm', 'true']));
    expect((await racker(['ps', '-aq'], { root })).stdout).to.equal('');
    expect(leftovers(root)).to.deep.equal([]);
  });

  it('racker start boots a stopped container again with its files; starting a running one is fine', async function () {
    this.timeout(180_000);
    const image = `${reg.host}/library/debian:bookworm`;
    ok(await racker(['run', '-d', '--name', 'pet', image], { root }));
    ok(await racker(['exec', 'pet', 'touch', '/root/kept'], { root }));
    ok(await racker(['stop', 'pet'], { root }));
    const stopped = JSON.parse(ok(await racker(['inspect', 'pet'], { root })).stdout)[0];
    expect(stopped.State.Running).to.equal(false);

    expect(ok(await racker(['start', 'pet'], { root })).stdout).to.equal('pet\n');
    const started = JSON.parse(ok(await racker(['inspect', 'pet'], { root })).stdout)[0];
    expect(started.State.Running).to.equal(true);
    expect(started.State.ExitCode).to.equal(0);
    expect((await racker(['exec', 'pet', 'test', '-e', '/root/kept'], { root })).code).to.equal(0);
    expect(ok(await racker(['start', 'pet'], { root })).stdout).to.equal('pet\n');

    const missing = await racker(['start', 'no-such-container'], { root });
    expect([missing.code, missing.stderr]).to.deep.equal([1, 'racker: No such container: no-such-container\n']);
    ok(await racker(['rm', '-f', 'pet'], { root }));
    expect(leftovers(root)).to.deep.equal([]);
  });

  it('an image without systemd: one line saying what to use instead, nothing created', async () => {
    const image = `${reg.host}/racker/busybox:latest`;
    ok(await racker(['pull', '-q', image], { root }));
    const r = await shell([image, '--', 'true']);
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([
      1,
      '',
      `racker: racker shell needs an image with systemd: ${image} has none (for a plain shell in it: racker run --rm -it --no-boot ${image} sh)\n`,
    ]);
    const rows = ok(await racker(['ps', '-a', '--format', 'json'], { root })).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Image: string });
    expect(rows.filter((c) => c.Image === image)).to.deep.equal([]);
  });

  it('run -it without a command gives a login shell on a terminal', async function () {
    this.timeout(120_000);
    const image = `${reg.host}/library/debian:bookworm`;
    // script(1) gives racker a terminal; what it types arrives there as keystrokes.
    const child = spawn('script', ['--quiet', '--return', '--command', `${process.execPath} ${rackerBin} run -it --rm ${image}`, '/dev/null'], {
      env: { ...process.env, RACKER_ROOT: root },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stdin.write('shopt -q login_shell && echo "login-$((40 + 2))"; exit 3\n');
    const code = await new Promise((r) => child.on('close', r));
    expect(out).to.match(/login-42/);
    expect(code).to.equal(3);
    expect(leftovers(root)).to.deep.equal([]);
  });
});

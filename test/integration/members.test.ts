/**
 * Issue 19: racker without sudo. Real users: a member of the group `racker` and a user outside
 * it run the built CLI (setpriv, their own uid, gid and groups) against a real `racker system
 * service --group racker` as root. What the member may do works as it does for root; what the
 * policy keeps from them (doc/security.md) is one line, exit 125, and nothing is created.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { cli, collect, racker, repoRoot, seen, tempRoot, type CliResult } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { dockerClient, startService, type Service } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { accountExists, asUserWrapper, sh } from '../helpers/users.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { petName } from '../../lib/container/account.js';
import { onTerminal, PYTHON3 } from '../helpers/pty.js';

const MEMBER = 'racker-t-member';
const OUTSIDER = 'racker-t-outsider';



describe('racker without sudo (integration: real users through racker system service)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  /** dist/ copied where every user may read it (the checkout may be under a private directory). */
  let bin: string;
  let BUSYBOX: string;
  let DEBIAN: string;
  const made: { users: string[]; group: boolean } = { users: [], group: false };

  const as = (user: string, program: 'racker' | 'postroj', args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> =>
    cli(path.join(bin, `${program}.js`), args, {
      wrapper: asUserWrapper(user),
      env: { RACKER_ROOT: root, HOME: `/home/${user}`, USER: user, ...opts.env },
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      cwd: '/',
    });
  const member = (args: string[], opts?: { input?: string; env?: Record<string, string> }) => as(MEMBER, 'racker', args, opts);
  const asRoot = (args: string[]) => racker(args, { root });
  const names = async (all = true) => (await asRoot(['ps', ...(all ? ['-a'] : []), '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort();

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    if (!accountExists('group', 'racker')) {
      sh(['groupadd', '--system', 'racker']);
      made.group = true;
    }
    for (const [user, groups] of [[MEMBER, ['-G', 'racker']], [OUTSIDER, []]] as const) {
      if (accountExists('passwd', user)) sh(['userdel', '-r', user]);
      sh(['useradd', '--create-home', ...groups, user]);
      made.users.push(user);
    }
    // A private home, as Debian's adduser makes them (useradd's follow the umask: 0755).
    chmodSync(`/home/${OUTSIDER}`, 0o700);
    root = tempRoot('racker-members-');
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'run'), { recursive: true, mode: 0o755 });
    bin = path.join(root, 'dist');
    cpSync(path.join(repoRoot, 'dist'), bin, { recursive: true });
    bin = path.join(bin, 'bin');
    reg = await startRegistry();
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    for (const ref of [BUSYBOX, DEBIAN]) expect((await asRoot(['pull', '-q', ref])).code).to.equal(0);
    service = await startService(root, { args: ['--group', 'racker'] });
  });

  after(async function () {
    this.timeout(120_000);
    if (root) {
      await asRoot(['rm', '-f', ...(await names())]).catch(() => undefined);
      if (service) expect(await service.stop()).to.equal(0);
      const cleaned = await killLeftovers(root);
      if (cleaned.length) console.log(`      (left behind and cleaned up: ${cleaned.join(', ')})`);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
    for (const user of made.users) sh(['userdel', '-r', user]);
    if (made.group) sh(['groupdel', 'racker']);
  });

  it('a member runs a container as root would: output, exit code, stdin', async () => {
    expect(seen(await member(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 3']))).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(seen(await member(['run', '--rm', '-i', BUSYBOX, 'sh', '-c', 'read x; echo "got $x"'], { input: 'hello\n' }))).to.deep.equal({ code: 0, stdout: 'got hello\n', stderr: '' });
    expect(await names()).to.deep.equal([]);
  });

  it('a member sees and acts on their own containers only, events included; root sees all', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    expect((await member(['run', '-d', '--name', 'm-mine', BUSYBOX, 'sleep', '300'])).code).to.equal(0);
    expect((await asRoot(['run', '-d', '--name', 'm-roots', BUSYBOX, 'sleep', '300'])).code).to.equal(0);
    expect((await member(['ps', '--format', '{{.Names}}'])).stdout).to.equal('m-mine\n');
    expect(await names(false)).to.deep.equal(['m-mine', 'm-roots']);
    for (const args of [['stop', 'm-roots'], ['rm', '-f', 'm-roots'], ['exec', 'm-roots', 'true'], ['logs', 'm-roots'], ['inspect', 'm-roots']]) {
      expect(seen(await member(args)), args.join(' ')).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: container m-roots belongs to root\n' });
    }
    expect(seen(await member(['exec', 'm-mine', 'cat', '/proc/1/comm']))).to.deep.equal({ code: 0, stdout: 'sleep\n', stderr: '' });
    expect(seen(await member(['rm', '-f', 'm-mine']))).to.deep.equal({ code: 0, stdout: 'm-mine\n', stderr: '' });
    expect(await names(false)).to.deep.equal(['m-roots']);
    expect((await asRoot(['rm', '-f', 'm-roots'])).code).to.equal(0);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const seenBy = async (run: (args: string[]) => Promise<CliResult>) =>
      [...new Set((await run(['events', '--since', since, '--until', until, '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}}'])).stdout.split('\n').filter((n) => n.startsWith('m-')))].sort();
    expect(await seenBy(member)).to.deep.equal(['m-mine']);
    expect(await seenBy(asRoot)).to.deep.equal(['m-mine', 'm-roots']);
  });

  it("refuses what would open the host to a member's container, in one line, creating nothing", async () => {
    expect((await asRoot(['volume', 'create', 'm-rootvol'])).code).to.equal(0);
    const refused: [string[], string][] = [
      [['run', '--rm', '-v', '/etc/shadow:/x:ro', BUSYBOX, 'true'], 'cannot bind /etc/shadow: Permission denied'],
      [['run', '--rm', '-v', '/root:/x', BUSYBOX, 'true'], 'cannot bind /root: Permission denied'],
      [['run', '--rm', '-v', `/home/${OUTSIDER}:/x:ro`, BUSYBOX, 'true'], `cannot bind /home/${OUTSIDER}: Permission denied`],
      // Readable, not writable: read-write is refused, read-only would be allowed.
      [['run', '--rm', '-v', '/etc:/x', BUSYBOX, 'true'], 'cannot bind /etc: you may not write to it (mount it read-only: :ro)'],
      // A missing directory is made by the member, as docker makes one: not in /etc.
      [['run', '--rm', '-v', '/etc/racker-t-made:/x', BUSYBOX, 'true'], "cannot bind /etc/racker-t-made: cannot create directory '/etc/racker-t-made': Permission denied"],
      // A link is followed with the member's rights.
      [['run', '--rm', '-v', `/home/${MEMBER}/to-root:/x:ro`, BUSYBOX, 'true'], `cannot bind /home/${MEMBER}/to-root: Permission denied`],
      [['run', '--rm', '--network', 'host', BUSYBOX, 'true'], "--network host is not for members of the racker group (doc/security.md): a container on the host's network can bind its privileged ports"],
      [['run', '--rm', '-p', '127.0.0.1:80:80', BUSYBOX, 'true'], "publishing host port 80 is not for members of the racker group (doc/security.md): ports below 1024 are root's"],
      [['run', '--rm', '-v', 'm-rootvol:/data', BUSYBOX, 'true'], 'volume m-rootvol belongs to root'],
      [['rmi', BUSYBOX], "racker rmi is root's: not for members of the racker group (doc/security.md)"],
      [['system', 'prune', '-f'], "racker system prune is root's: not for members of the racker group (doc/security.md)"],
      [['shell', '--host-pid', DEBIAN, 'true'], "racker shell --host-pid is not for members of the group racker: it shows the container the host's processes (sudo racker shell --host-pid)"],
    ];
    sh([...asUserWrapper(MEMBER), 'ln', '-sfn', '/root', `/home/${MEMBER}/to-root`]);
    const before = readdirSync(path.join(root, 'lib', 'volumes')).sort();
    for (const [args, message] of refused) expect(seen(await member(args)), args.join(' ')).to.deep.equal({ code: 125, stdout: '', stderr: `racker: ${message}\n` });
    expect(await names()).to.deep.equal([]);
    expect(existsSync('/etc/racker-t-made')).to.equal(false);
    expect(readdirSync(path.join(root, 'lib', 'volumes')).sort()).to.deep.equal(before);
    expect((await asRoot(['images', '-q', BUSYBOX])).stdout).to.not.equal('');
    expect((await asRoot(['volume', 'rm', 'm-rootvol'])).code).to.equal(0);
  });

  it("a member's host directory: the container's root writes in it as the member, and reads only what the member may", async () => {
    const proj = `/home/${MEMBER}/proj`;
    const memberUid = Number(sh(['id', '-u', MEMBER]));
    sh([...asUserWrapper(MEMBER), 'sh', '-c', `mkdir ${proj} && echo mine > ${proj}/mine`]);
    // What root put in the member's directory stays root's: the container's root may not read it.
    execFileSync('sh', ['-c', `echo secret > ${proj}/roots && chmod 600 ${proj}/roots`]);
    const script = [
      'stat -c %u /p/mine',
      'stat -c %u /p/roots',
      'echo new > /p/new && echo wrote',
      'cat /p/roots || echo unreadable',
      'chown 1 /p/new || echo no-chown',
      'cat /h/hostname >/dev/null && echo host-readable',
      'cat /h/shadow || echo shadow-unreadable',
      'touch /made/x && echo made',
    ].join('; ');
    const r = await member(['run', '--rm', '-v', `${proj}:/p`, '-v', '/etc:/h:ro', '-v', `/home/${MEMBER}/made/deep:/made`, BUSYBOX, 'sh', '-c', script]);
    expect(seen(r)).to.deep.equal({
      code: 0,
      stdout: '0\n65534\nwrote\nunreadable\nno-chown\nhost-readable\nshadow-unreadable\nmade\n',
      stderr: "cat: can't open '/p/roots': Permission denied\nchown: /p/new: Value too large for defined data type\ncat: can't open '/h/shadow': Permission denied\n",
    });
    // On the host: what the container wrote is the member's; the missing directory was made by them.
    for (const f of [`${proj}/new`, `/home/${MEMBER}/made/deep`, `/home/${MEMBER}/made/deep/x`]) expect(sh(['stat', '-c', '%u', f]).trim(), f).to.equal(String(memberUid));
    expect(sh(['stat', '-c', '%u %a', `${proj}/roots`]).trim()).to.equal('0 600');
    // Mounted again at every start.
    expect((await member(['create', '--name', 'm-bind', '-v', `${proj}:/p:ro`, BUSYBOX, 'cat', '/p/mine'])).code).to.equal(0);
    for (const round of [1, 2]) expect(seen(await member(['start', '-a', 'm-bind'])), `start ${round}`).to.deep.equal({ code: 0, stdout: 'mine\n', stderr: '' });
    expect((await member(['rm', 'm-bind'])).code).to.equal(0);
    // Nothing of the ID-mapped mounts is left on the host.
    expect(sh(['cat', '/proc/self/mountinfo']).split('\n').filter((l) => l.includes(root) && l.includes('idmapped'))).to.deep.equal([]);
  });

  it("racker shell as a member: their account and home, a file they write owned by them on the host", async () => {
    const name = petName(MEMBER, DEBIAN);
    try {
      const r = await member(['shell', DEBIAN, 'sh', '-c', 'id -un; echo "$HOME"; touch "$HOME/from-shell" && stat -c %U "$HOME/from-shell"']);
      expect(seen(r)).to.deep.equal({ code: 0, stdout: `${MEMBER}\n/home/${MEMBER}\n${MEMBER}\n`, stderr: '' });
      expect(sh(['stat', '-c', '%U', `/home/${MEMBER}/from-shell`]).trim()).to.equal(MEMBER);
      expect((await member(['ps', '--format', '{{.Names}}'])).stdout).to.equal(`${name}\n`);
    } finally {
      await member(['rm', '-f', name]);
    }
  });

  it("a member's shell: their session bus through their ID-mapped runtime directory; exported apps and programs start in it, and go with it", async function () {
    this.timeout(240_000);
    const name = petName(MEMBER, DEBIAN);
    const memberUid = Number(sh(['id', '-u', MEMBER]));
    const runtime = `/run/user/${memberUid}`;
    const home = `/home/${MEMBER}`;
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    sh(['chown', `${MEMBER}:${MEMBER}`, runtime]);
    const bus = spawn('setpriv', [...asUserWrapper(MEMBER).slice(1), '--', 'dbus-daemon', '--session', '--nofork', `--address=unix:path=${runtime}/bus`], { stdio: 'ignore' });
    // `racker` on the launchers' PATH: this build, as the member runs it.
    const pathDir = path.join(root, 'path-bin');
    mkdirSync(pathDir, { recursive: true });
    const wrapper = path.join(pathDir, 'racker');
    await fs.writeFile(wrapper, `#!/bin/sh\nexec ${process.execPath} ${path.join(bin, 'racker.js')} "$@"\n`, { mode: 0o755 });
    const session = { XDG_RUNTIME_DIR: runtime, DBUS_SESSION_BUS_ADDRESS: `unix:path=${runtime}/bus` };
    try {
      for (let i = 0; i < 100 && !existsSync(`${runtime}/bus`); i++) await new Promise((r) => setTimeout(r, 50));
      const hostId = sh([...asUserWrapper(MEMBER), '--', 'env', `DBUS_SESSION_BUS_ADDRESS=unix:path=${runtime}/bus`, 'busctl', '--user', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId']);
      const inside = await member(['shell', DEBIAN, 'busctl', '--user', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId'], { env: session });
      expect(seen(inside)).to.deep.equal({ code: 0, stdout: hostId, stderr: '' });

      // An app and a program installed in the shell (as its root: the member's own container).
      const install = [
        'mkdir -p /usr/share/applications /usr/share/pixmaps',
        'printf "#!/bin/sh\\necho ran in \\$(hostname) as \\$(id -un): \\$*\\n" > /usr/local/bin/hello-app && chmod 755 /usr/local/bin/hello-app',
        'printf "[Desktop Entry]\\nType=Application\\nName=Hello\\nExec=hello-app %%U\\nTryExec=hello-app\\nIcon=hello\\n" > /usr/share/applications/hello.desktop',
        'printf PNG > /usr/share/pixmaps/hello.png',
      ].join(' && ');
      expect(seen(await member(['exec', '-u', '0', name, 'sh', '-c', install]))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      const entry = `${home}/.local/share/applications/racker-${name}-hello.desktop`;
      const icon = `${home}/.local/share/icons/racker-${name}-hello.png`;
      const launcher = `${home}/.local/bin/hello-app`;
      const exported = await member(['shell', '--export-app', 'hello', '--export-bin', 'hello-app', DEBIAN]);
      expect(seen(exported)).to.deep.equal({ code: 0, stdout: `exported hello: ${icon} ${entry}\nexported /usr/local/bin/hello-app: ${launcher}\n`, stderr: '' });
      expect(sh(['stat', '-c', '%U %a', entry, icon, launcher])).to.equal(`${MEMBER} 644\n${MEMBER} 644\n${MEMBER} 755\n`);
      const exec = /^Exec=(.*)$/m.exec(sh(['cat', entry]))![1]!;
      expect(exec).to.equal(`racker shell ${DEBIAN} -- hello-app %U`);
      expect(sh(['cat', icon])).to.equal('PNG');
      // What the desktop does with the entry (%U: the files given), and the launcher on PATH.
      const asMemberOnHost = async (argv: string[]) => {
        const r = await collect([...asUserWrapper(MEMBER), ...argv], { env: { ...process.env, RACKER_DEBUG: undefined, RACKER_ROOT: root, HOME: home, PATH: `${pathDir}:/usr/bin:/bin` }, cwd: '/', timeoutMs: 120_000 });
        return { ...r, stdout: r.stdout.toString() };
      };
      const fromMenu = await asMemberOnHost(['sh', '-c', exec.replace('%U', 'a.txt')]);
      expect(seen(fromMenu)).to.deep.equal({ code: 0, stdout: `ran in debian-bookworm as ${MEMBER}: a.txt\n`, stderr: '' });
      const fromPath = await asMemberOnHost([launcher, 'b c']);
      expect(seen(fromPath)).to.deep.equal({ code: 0, stdout: `ran in debian-bookworm as ${MEMBER}: b c\n`, stderr: '' });
      expect(JSON.parse((await member(['inspect', '--format', '{{json .Shell.Exports}}', name])).stdout)).to.deep.equal([
        { Kind: 'app', Name: 'hello', Files: [icon, entry] },
        { Kind: 'bin', Name: '/usr/local/bin/hello-app', Files: [launcher] },
      ]);

      // A file of the member's own is never replaced; --unexport takes one away.
      await fs.writeFile(`${home}/.local/bin/mine`, 'my own\n');
      expect(seen(await member(['exec', '-u', '0', name, 'cp', '/usr/local/bin/hello-app', '/usr/local/bin/mine']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(seen(await member(['shell', '--export-bin', 'mine', DEBIAN]))).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: `racker: ${home}/.local/bin/mine exists and is not racker's export from ${name}: remove or rename it first\n`,
      });
      expect(sh(['cat', `${home}/.local/bin/mine`])).to.equal('my own\n');
      expect(seen(await member(['shell', '--unexport', 'hello-app', DEBIAN]))).to.deep.equal({ code: 0, stdout: `unexported /usr/local/bin/hello-app: ${launcher}\n`, stderr: '' });
      expect(existsSync(launcher)).to.equal(false);

      // The shell removed: what it exported goes with it, what is the member's stays.
      expect(seen(await member(['shell', '--rm', DEBIAN, 'true']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect([existsSync(entry), existsSync(icon), existsSync(`${home}/.local/bin/mine`)]).to.deep.equal([false, false, true]);
      expect(await names()).to.deep.equal([]);
    } finally {
      await member(['rm', '-f', name]);
      bus.kill('SIGKILL');
      await fs.rm(runtime, { recursive: true, force: true });
    }
  });

  it("racker shell --upgrade as a member: the new image, with their home, exports and the package they installed; the rest dropped, and said so", async function () {
    this.timeout(300_000);
    // A local tag (the registry has no such repository: the pull fails, the local image is the newest).
    const image = `${reg.host}/racker-test/member-shell:1`;
    const name = petName(MEMBER, image);
    const home = `/home/${MEMBER}`;
    const entry = `${home}/.local/share/applications/racker-${name}-hello-desk.desktop`;
    const desktopFile = 'mkdir -p /usr/share/applications && printf "[Desktop Entry]\\nType=Application\\nName=Hi\\nExec=hello\\n" > /usr/share/applications/hello-desk.desktop';
    const work = path.join(root, 'upgrade-ctx');
    try {
      expect((await asRoot(['tag', DEBIAN, image])).code).to.equal(0);
      expect(seen(await member(['shell', image, 'true']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      const setup = `apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null && ${desktopFile} && echo mine > /etc/changed`;
      const installed = await member(['exec', '-u', '0', name, 'sh', '-c', setup]);
      expect(installed.code, installed.stderr).to.equal(0);
      expect(seen(await member(['shell', '--export-app', 'hello-desk', image]))).to.deep.equal({ code: 0, stdout: `exported hello-desk: ${entry}\n`, stderr: '' });
      await fs.writeFile(`${home}/kept`, 'home\n');
      const oldId = JSON.parse((await asRoot(['inspect', name])).stdout)[0].Image as string;

      // A newer image under the same name: the base with a file and the app's desktop entry, not the package.
      mkdirSync(work, { recursive: true });
      await fs.writeFile(path.join(work, 'Containerfile'), `FROM ${DEBIAN}\nRUN echo 2 > /etc/shell-version && ${desktopFile}\n`);
      const built = await asRoot(['build', '-q', '-t', image, work]);
      expect(built.code, built.stderr).to.equal(0);
      const newId = built.stdout.trim();

      const r = await member(['shell', '--upgrade', image, 'sh', '-c', 'cat /etc/shell-version; hello; cat ~/kept; test -e /etc/changed || echo dropped']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('2\nHello, world!\nhome\ndropped\n');
      const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
      // After the pull's own lines and its failure ("could not pull …: upgrading to the local image"):
      const all = r.stderr.split('\n');
      expect(all.filter((l) => l.startsWith('could not pull '))).to.have.length(1);
      const lines = all.slice(all.findIndex((l) => l.startsWith('upgraded ')));
      expect(lines).to.deep.equal([
        `upgraded ${name}: ${short(oldId)} -> ${short(newId)}`,
        'kept: your home, the desktop forwarding, the exports (hello-desk)',
        'installed again with apt: hello',
        'dropped: any other change made outside your home in the old shell',
        '',
      ]);
      expect(sh(['cat', entry])).to.include(`Exec=racker shell ${image} -- hello\n`);
      expect((await asRoot(['ps', '-a', '--format', '{{.Names}} {{.Image}}'])).stdout.split('\n').filter((l) => l.startsWith(name))).to.deep.equal([`${name} ${image}`]);
      // Nothing to do the second time.
      const again = await member(['shell', '--upgrade', image, 'true']);
      expect(again.stderr.split('\n').slice(-2)).to.deep.equal([`${name} is already on the newest ${image} (${short(newId)})`, '']);
    } finally {
      await member(['rm', '-f', name]);
      await asRoot(['rmi', '-f', image]);
      await fs.rm(`${home}/kept`, { force: true });
    }
  });

  it("a member's output files (save -o, export -o) are written as them: in their home, not in root's", async () => {
    const home = `/home/${MEMBER}`;
    expect(seen(await member(['save', '-o', `${home}/bb.tar`, BUSYBOX]))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(sh(['stat', '-c', '%U %a', `${home}/bb.tar`]).trim()).to.equal(`${MEMBER} 644`);
    expect(sh(['tar', '-tf', `${home}/bb.tar`]).split('\n')).to.include('index.json');
    expect((await member(['create', '--name', 'm-exp', BUSYBOX, 'true'])).code).to.equal(0);
    try {
      expect(seen(await member(['export', '-o', `${home}/fs.tar`, 'm-exp']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(sh(['stat', '-c', '%U', `${home}/fs.tar`]).trim()).to.equal(MEMBER);
      expect(sh(['tar', '-tf', `${home}/fs.tar`]).split('\n')).to.include('bin/busybox');
      for (const args of [['save', '-o', '/root/racker-t.tar', BUSYBOX], ['export', '-o', '/root/racker-t.tar', 'm-exp']]) {
        const denied = await member(args);
        expect(seen(denied), args.join(' ')).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: cannot write /root/racker-t.tar: Permission denied\n' });
      }
      expect(existsSync('/root/racker-t.tar')).to.equal(false);
      expect(readdirSync(home).filter((f) => f.includes('.racker-'))).to.deep.equal([]);
    } finally {
      await member(['rm', 'm-exp']);
    }
  });

  it('racker cp as a member, both ways: the host side read and written with their rights', async () => {
    const home = `/home/${MEMBER}`;
    sh([...asUserWrapper(MEMBER), 'sh', '-c', `mkdir -p ${home}/cpdir && echo in > ${home}/cpdir/f`]);
    expect((await member(['run', '-d', '--name', 'm-cp', BUSYBOX, 'sleep', '300'])).code).to.equal(0);
    try {
      expect(seen(await member(['cp', `${home}/cpdir`, 'm-cp:/tmp/']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(seen(await member(['exec', 'm-cp', 'cat', '/tmp/cpdir/f']))).to.deep.equal({ code: 0, stdout: 'in\n', stderr: '' });
      expect((await member(['exec', 'm-cp', 'sh', '-c', 'echo out > /tmp/cpdir/g'])).code).to.equal(0);
      expect(seen(await member(['cp', 'm-cp:/tmp/cpdir', `${home}/back`]))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
      expect(sh(['cat', `${home}/back/f`, `${home}/back/g`])).to.equal('in\nout\n');
      // Written by the member: theirs, whoever owned it in the container (root, for g).
      expect(sh(['stat', '-c', '%U', `${home}/back`, `${home}/back/g`])).to.equal(`${MEMBER}\n${MEMBER}\n`);
      const refused: [string[], string][] = [
        [['cp', '/etc/shadow', 'm-cp:/tmp/'], 'racker: cannot copy /etc/shadow: permission denied\n'],
        [['cp', 'm-cp:/tmp/cpdir', '/root/racker-t-group'], 'racker: stat /root/racker-t-group: permission denied\n'],
      ];
      for (const [args, stderr] of refused) expect(seen(await member(args)), args.join(' ')).to.deep.equal({ code: 1, stdout: '', stderr });
      expect(existsSync('/root/racker-t-group')).to.equal(false);
    } finally {
      await member(['rm', '-f', 'm-cp']);
    }
  });

  it("a member's named volume is theirs: written by their container, refused to nobody else's", async () => {
    expect((await member(['run', '--rm', '-v', 'm-data:/data', BUSYBOX, 'sh', '-c', 'echo kept > /data/f'])).code).to.equal(0);
    expect(seen(await member(['run', '--rm', '-v', 'm-data:/data', BUSYBOX, 'cat', '/data/f']))).to.deep.equal({ code: 0, stdout: 'kept\n', stderr: '' });
    const record = JSON.parse((await asRoot(['volume', 'inspect', 'm-data'])).stdout) as { Owner?: { name: string } }[];
    expect(record[0]?.Owner?.name).to.equal(MEMBER);
    expect(seen(await member(['volume', 'rm', 'm-data']))).to.deep.equal({ code: 0, stdout: 'm-data\n', stderr: '' });
  });

  it("a container a member named like root's shell container is never entered as root's shell", async () => {
    const name = petName('root', DEBIAN);
    expect((await member(['create', '--name', name, BUSYBOX, 'sleep', '300'])).code).to.equal(0);
    expect(seen(await asRoot(['shell', DEBIAN, 'true']))).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `racker: container ${name} belongs to user ${MEMBER}, not to root: it is not your shell container (remove it: racker rm -f ${name})\n`,
    });
    expect(await names()).to.deep.equal([name]);
    expect((await member(['rm', name])).code).to.equal(0);
  });

  it('a user outside the group, and a service that is not there, get one line and exit 125', async () => {
    const socket = path.join(root, 'run', 'docker.sock');
    expect(seen(await as(OUTSIDER, 'racker', ['ps']))).to.deep.equal({
      code: 125,
      stdout: '',
      stderr: `racker: permission denied on ${socket}: ${OUTSIDER} is not in the group allowed to use the racker service (sudo usermod -aG racker ${OUTSIDER}, then log in again; or run racker with sudo)\n`,
    });
    const missing = path.join(root, 'run', 'nothing.sock');
    expect(seen(await member(['ps'], { env: { RACKER_HOST: `unix://${missing}` } }))).to.deep.equal({
      code: 125,
      stdout: '',
      stderr: `racker: cannot reach the racker service at ${missing} (ENOENT) (start it: sudo systemctl start racker.socket, or sudo racker system service --group racker; or run racker with sudo)\n`,
    });
    // Help and version need no service.
    expect((await as(OUTSIDER, 'racker', ['--version'])).code).to.equal(0);
  });

  it('^C on a member\'s foreground run stops it as it stops root\'s: exit 130, the container removed', async () => {
    const child = spawn('setpriv', [`--reuid=${MEMBER}`, `--regid=${MEMBER}`, '--init-groups', process.execPath, path.join(bin, 'racker.js'), 'run', '--rm', '--name', 'm-int', BUSYBOX, 'sleep', '300'], {
      env: { ...process.env, RACKER_ROOT: root },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while (!(await names(false)).includes('m-int')) {
      if (Date.now() > deadline) throw new Error('m-int did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).to.equal(130);
    expect(await names()).to.deep.equal([]);
  });

  it("a terminal through the service: the same bytes as root's, and it follows the client's size", async function () {
    needs(this, PYTHON3 !== undefined, 'python3 (a pseudo-terminal for the client)');
    const command = ['run', '--rm', '-t', DEBIAN, 'sh', '-c', 'stty size; test -t 0 && echo first; sleep 2; stty size; exit 4'];
    const viaPty = async (wrapper: string[]) => {
      const r = await onTerminal([...wrapper, process.execPath, path.join(bin, 'racker.js'), ...command], { env: { ...process.env, RACKER_ROOT: root, TERM: 'xterm' }, resizeAfter: 'first', timeoutMs: 90_000 });
      return { shown: r.shown.toString(), code: r.code };
    };
    const expected = { shown: '24 80\r\nfirst\r\n30 100\r\n', code: 4 };
    expect(await viaPty([])).to.deep.equal(expected);
    expect(await viaPty([...asUserWrapper(MEMBER)])).to.deep.equal(expected);
  });

  it('postroj pkgprobe runs for a member (their machine, booted, probed, removed; the report file theirs)', async () => {
    const report = `/home/${MEMBER}/report.json`;
    const r = await as(MEMBER, 'postroj', ['pkgprobe', '--image', DEBIAN, '--check-command', 'test -f /etc/debian_version', '--report-json', report]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/PASS/);
    expect(sh(['stat', '-c', '%U %a', report]).trim()).to.equal(`${MEMBER} 644`);
    expect((JSON.parse(sh(['cat', report])) as { ok: boolean }[])[0]?.ok).to.equal(true);
    expect(await names()).to.deep.equal([]);
    expect(existsSync(path.join(root, 'lib', 'containers'))).to.equal(true);
  });

  it('postroj pkgprobe --package for a member: from the archive and from their own file, installed after boot over the bridge; a file they cannot read fails', async function () {
    this.timeout(300_000);
    const home = `/home/${MEMBER}`;
    sh([...asUserWrapper(MEMBER), 'sh', '-c',
      `mkdir -p ${home}/pkg/DEBIAN ${home}/pkg/usr/share/racker-t && printf 'Package: racker-t-member\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n' > ${home}/pkg/DEBIAN/control && echo theirs > ${home}/pkg/usr/share/racker-t/hi && dpkg-deb -b ${home}/pkg ${home}/racker-t-member.deb >/dev/null`]);
    const r = await as(MEMBER, 'postroj', ['pkgprobe', '--image', DEBIAN, '--package', 'hello', '--package', `${home}/racker-t-member.deb`, '--check-command', 'hello && cat /usr/share/racker-t/hi']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/ {2}ok {3}package hello \(/);
    expect(r.stdout).to.match(/ {2}ok {3}package \/home\/racker-t-member\/racker-t-member\.deb \(/);
    expect(r.stdout.trim().split('\n').pop()).to.equal('3 passed, 0 failed');
    // A package file the member may not read is not read for them.
    execFileSync('cp', [`${home}/racker-t-member.deb`, '/root/racker-t-secret.deb']);
    try {
      const denied = await as(MEMBER, 'postroj', ['pkgprobe', '--image', DEBIAN, '--package', '/root/racker-t-secret.deb']);
      expect(denied.code).to.equal(1);
      expect(denied.stdout).to.contain('  FAIL package /root/racker-t-secret.deb');
      expect(denied.stdout).to.contain('cat: /root/racker-t-secret.deb: Permission denied');
    } finally {
      await fs.rm('/root/racker-t-secret.deb', { force: true });
    }
    expect(await names()).to.deep.equal([]);
  });

  it("a member's run takes a machine of root's warm pool and it becomes theirs; the pool stays root's", async () => {
    expect((await asRoot(['pool', 'create', DEBIAN, '--size', '1'])).code).to.equal(0);
    try {
      expect(seen(await member(['run', '--rm', '--warm', DEBIAN, 'sh', '-c', 'echo warm']))).to.deep.equal({ code: 0, stdout: 'warm\n', stderr: '' });
      expect((await member(['ps', '-aq'])).stdout).to.equal('');
    } finally {
      expect((await asRoot(['pool', 'rm', DEBIAN])).code).to.equal(0);
    }
  });

  it('the docker CLI as a member goes through the same policy (HTTP 403 with the message)', async function () {
    const docker = dockerClient();
    needs(this, docker !== undefined, 'the docker CLI (docker.io)');
    const run = (args: string[]) =>
      collect([...asUserWrapper(MEMBER), docker!, ...args], {
        env: { ...process.env, DOCKER_HOST: service.host, DOCKER_CONFIG: `/home/${MEMBER}/.docker`, HOME: `/home/${MEMBER}` },
        timeoutMs: 60_000,
      });
    const refused = await run(['run', '--rm', '-v', '/root:/x', BUSYBOX, 'true']);
    expect(refused.code).to.equal(125);
    expect(refused.stderr).to.include('cannot bind /root: Permission denied');
    sh([...asUserWrapper(MEMBER), 'sh', '-c', `echo via-api > /home/${MEMBER}/api-file`]);
    const own = await run(['run', '--rm', '-v', `/home/${MEMBER}/api-file:/f:ro`, BUSYBOX, 'cat', '/f']);
    expect([own.code, own.stdout.toString()]).to.deep.equal([0, 'via-api\n']);
    const rmi = await run(['rmi', BUSYBOX]);
    expect(rmi.code).to.equal(1);
    expect(rmi.stderr).to.include("is root's: not for members of the racker group (doc/security.md)");
    // An import names its own tag: refused, so no member's content can sit under a name root runs.
    const imported = await run(['import', '-', DEBIAN]);
    expect(imported.code).to.equal(1);
    expect(imported.stderr).to.include("import (POST /images/create?fromSrc=…) is root's: not for members of the racker group (doc/security.md)");
    const ps = await run(['ps', '-a', '--format', '{{.Names}}']);
    expect([ps.code, ps.stdout.toString()]).to.deep.equal([0, '']);
  });
});

import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, ok, racker, rackerBin, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';
import { makeShellUser, removeShellUser } from '../helpers/users.js';

/**
 * racker shell's desktop (issue 21): a real X server (Xvfb), a Wayland compositor (weston,
 * headless), a D-Bus session bus and a PulseAudio server run on the host as a test user, as their desktop session would; their
 * clients inside the user's shell container reach them. Also strace inside, the time zone and
 * language, inspect, --no-desktop and `racker shell ls`.
 */
describe('racker shell desktop forwarding (integration: Xvfb, weston, dbus-daemon and pulseaudio on the host)', function () {
  this.timeout(300_000);
  let reg: FixtureRegistry;
  let root: string;
  let home: string;
  let uid: number;
  let runtime: string;
  let display: number;
  let hostBusId: string;
  const daemons: ChildProcess[] = [];
  const user = `rkdesk${process.pid % 10_000}`;
  const pet = `shell-${user}-debian-bookworm`;
  let env: Record<string, string>;
  const shell = (args: string[], extraEnv: Record<string, string> = {}) => racker(['shell', ...args], { root, env: { ...env, ...extraEnv } });
  const asUser = (argv: string[]) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--init-groups', '--', 'env', `HOME=${home}`, `XDG_RUNTIME_DIR=${runtime}`, `USER=${user}`, ...argv];

  /** Start a daemon as the test user; resolves once `ready()` holds. */
  async function daemon(argv: string[], ready: () => boolean): Promise<void> {
    const [cmd, ...args] = asUser(argv);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    daemons.push(child);
    for (let i = 0; i < 200 && !ready(); i++) {
      if (child.exitCode !== null) throw new Error(`${argv[0]} ended: ${err}`);
      await sleep(50);
    }
    if (!ready()) throw new Error(`${argv[0]} did not get ready: ${err}`);
  }

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
    home = path.join(root, 'home', user);
    mkdirSync(home, { recursive: true });
    uid = makeShellUser(user, home);
    // The user reaches their home on the host too (their X server writes its cookie there).
    for (const d of [root, path.dirname(home)]) execFileSync('chmod', ['755', d]);
    // What logind would make at login: the session's runtime directory.
    runtime = `/run/user/${uid}`;
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    execFileSync('chown', [`${uid}:${uid}`, runtime]);

    display = 90;
    while (existsSync(`/tmp/.X11-unix/X${display}`) || existsSync(`/tmp/.X${display}-lock`)) display++;
    const cookie = execFileSync('od', ['-An', '-N16', '-tx1', '/dev/urandom']).toString().replace(/\s/g, '');
    const [xauth, ...xauthArgs] = asUser(['xauth', '-f', `${home}/.Xauthority`, 'add', `:${display}`, '.', cookie]);
    execFileSync(xauth!, xauthArgs);
    await daemon(['Xvfb', `:${display}`, '-auth', `${home}/.Xauthority`, '-nolisten', 'tcp', '-screen', '0', '640x480x24'], () => existsSync(`/tmp/.X11-unix/X${display}`));
    // The Wayland socket's default name, which a session under sudo (no WAYLAND_DISPLAY) is found by.
    await daemon(['weston', '--backend=headless-backend.so', '--socket=wayland-0', '--idle-time=0'], () => existsSync(`${runtime}/wayland-0`));
    await daemon(['dbus-daemon', '--session', '--nofork', `--address=unix:path=${runtime}/bus`], () => existsSync(`${runtime}/bus`));
    await daemon(['pulseaudio', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '-n', '-L', 'module-native-protocol-unix', '-L', 'module-null-sink'], () => existsSync(`${runtime}/pulse/native`));
    const [cmd, ...args] = asUser(['busctl', '--user', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId']);
    hostBusId = execFileSync(cmd!, args).toString();

    // sudo racker shell as this user, from their desktop session: sudo keeps DISPLAY, XAUTHORITY and LANG.
    env = { SUDO_USER: user, RACKER_REGISTRY_MIRROR: reg.host, DISPLAY: `:${display}`, XAUTHORITY: `${home}/.Xauthority`, LANG: 'C.UTF-8' };
    ok(await shell(['debian-bookworm', 'true']));
    // The clients, installed in the shell as its user would (from the Debian archive).
    const install = await racker(['exec', '-u', '0', pet, 'sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends x11-utils pulseaudio-utils wayland-utils strace procps >/dev/null'], { root });
    expect(install.code, install.stderr).to.equal(0);
  });

  after(async function () {
    this.timeout(60_000);
    if (root) {
      await racker(['rm', '-f', pet], { root }).catch(() => undefined);
      await killLeftovers(root);
    }
    for (const d of daemons) d.kill('SIGKILL');
    if (display) for (const f of [`/tmp/.X${display}-lock`, `/tmp/.X11-unix/X${display}`]) await fs.rm(f, { force: true });
    await Promise.all(daemons.map((d) => (d.exitCode === null && d.signalCode === null ? new Promise((r) => d.once('close', r)) : undefined)));
    if (runtime) await fs.rm(runtime, { recursive: true, force: true });
    removeShellUser(user);
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('an X11 client inside talks to the X server of the caller on the host (its cookie too)', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'sh', '-c', 'echo "$DISPLAY $XAUTHORITY"; xdpyinfo | grep -E "^(name of display|  dimensions):" | sed "s/ pixels.*//"']));
    expect(r.stdout).to.equal(`:${display} /run/racker-shell/Xauthority\nname of display:    :${display}\n  dimensions:    640x480\n`);
  });

  it('a Wayland client inside talks to the compositor of the caller (found in their runtime directory)', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'sh', '-c', 'echo "$WAYLAND_DISPLAY $XDG_RUNTIME_DIR"; wayland-info | grep -c "interface: .wl_compositor."']));
    expect(r.stdout).to.equal(`wayland-0 ${runtime}\n1\n`);
  });

  it('the host X socket survives the container (its systemd empties its own /tmp/.X11-unix, not the host one)', () => {
    expect(existsSync(`/tmp/.X11-unix/X${display}`)).to.equal(true);
  });

  it('a cookie file outside home and the runtime directory is copied in for the caller alone', async () => {
    const outside = path.join(root, `xauth-${user}`);
    execFileSync('cp', [`${home}/.Xauthority`, outside]);
    execFileSync('chown', [`${uid}:${uid}`, outside]);
    const r = ok(await shell(['debian-bookworm', '--', 'sh', '-c', 'echo "$XAUTHORITY"; stat -c "%U %a" "$XAUTHORITY"; xdpyinfo >/dev/null && echo reached'], { XAUTHORITY: outside }));
    expect(r.stdout).to.equal(`/run/racker-shell/Xauthority\n${user} 600\nreached\n`);
  });

  it('busctl --user inside reaches the session bus of the caller (the same bus: the same id)', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'busctl', '--user', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId']));
    expect(r.stdout).to.equal(hostBusId);
    expect(hostBusId).to.match(/^s "[0-9a-f]{32}"\n$/);
  });

  it('the system bus inside is the container\'s own (the host\'s would give its root the host)', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'busctl', '--system', 'get-property', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'Virtualization']));
    expect(r.stdout).to.equal('s "systemd-nspawn"\n');
  });

  it('a sound client inside connects to the PulseAudio server of the caller and plays into its sink', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'sh', '-c', 'pactl info | grep -E "^(Server String|Default Sink):"; head -c 8820 /dev/zero | pacat --raw --format=s16le --rate=44100 --channels=1 && echo played']));
    expect(r.stdout).to.equal(`Server String: unix:${runtime}/pulse/native\nDefault Sink: null\nplayed\n`);
  });

  it('strace works on the shell\'s own processes; the language follows the caller', async () => {
    const r = ok(await shell(['debian-bookworm', '--', 'sh', '-c', 'strace -qq -e trace=write -e signal=none echo traced 2>&1 >/dev/null; echo "$LANG"']));
    expect(r.stdout).to.equal('write(1, "traced\\n", 7)                 = 7\nC.UTF-8\n');
  });

  it('the host\'s /etc/hosts entries for other machines, its fonts and its time zone are inside', async () => {
    const hosts = path.join(root, 'hosts');
    writeFileSync(hosts, '127.0.0.1 localhost\n127.0.1.1 vm\n192.0.2.7 build.example build\n');
    // This racker runs in a mount namespace of its own whose /etc/hosts is that file: the host's is left alone.
    const argv = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount --bind ${hosts} /etc/hosts && exec "$@"`, 'sh', process.execPath, rackerBin, 'shell', 'debian-bookworm'];
    const script = 'getent hosts build.example build vm | sort; readlink /etc/localtime; ls /usr/local/share/fonts/racker-host 2>/dev/null';
    const r = await collect([...argv, '--', 'sh', '-c', script], { env: { ...process.env, RACKER_DEBUG: undefined, RACKER_ROOT: root, ...env } as NodeJS.ProcessEnv, timeoutMs: 120_000 });
    expect(r.code, r.stderr).to.equal(0);
    const zone = readlinkSync('/etc/localtime').replace(/^.*\/zoneinfo\//, '');
    const fonts = existsSync('/usr/share/fonts') ? readdirSync('/usr/share/fonts').sort().map((f) => `${f}\n`).join('') : '';
    expect(r.stdout.toString()).to.equal(`192.0.2.7       build\n192.0.2.7       build.example\n../usr/share/zoneinfo/${zone}\n${fonts}`);
  });

  it('--host-pid: the command sees the host\'s processes and traces its user\'s own there; without it, neither', async () => {
    const [cmd, ...args] = asUser(['sleep', '300']);
    const sleeper = spawn(cmd!, args, { stdio: 'ignore' });
    daemons.push(sleeper);
    const pid = sleeper.pid!;
    for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); i++) await sleep(20);
    const init = readFileSync('/proc/1/comm', 'utf8');
    const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - proc /.test(l)).length;
    const host = ok(await shell(['--host-pid', 'debian-bookworm', '--', 'sh', '-c', `ps -o comm= -p ${pid}; stat -c %U /proc/${pid}; cat /proc/1/comm; timeout -s INT 2 strace -p ${pid} 2>&1 | head -1`]));
    expect(host.stdout).to.equal(`sleep\n${user}\n${init}strace: Process ${pid} attached\n`);
    const plain = ok(await shell(['debian-bookworm', '--', 'sh', '-c', `ps -o comm= -p ${pid} || echo not seen; cat /proc/1/comm`]));
    expect(plain.stdout).to.equal('not seen\nsystemd\n');
    // Its /proc was its own: none is left on the host.
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - proc /.test(l)).length).to.equal(mountsBefore);
    sleeper.kill('SIGKILL');
  });

  it('inspect shows what the shell forwards; racker shell ls lists it', async () => {
    const shellInfo = JSON.parse(ok(await racker(['inspect', '--format', '{{json .Shell}}', pet], { root })).stdout);
    expect(shellInfo).to.deep.equal({ User: user, Desktop: ['x11', 'wayland', 'session-bus', 'sound', 'fonts'], RuntimeDir: runtime, Exports: [] });
    const ls = ok(await shell(['ls', '--format', '{{.Names}} {{.Status}} {{.Desktop}} {{.Exports}}']));
    expect(ls.stdout).to.match(new RegExp(`^${pet} Up [^\\n]+ x11,wayland,session-bus,sound,fonts -\\n$`));
    expect(ok(await shell(['ls', '-q'])).stdout).to.match(/^[0-9a-f]{12}\n$/);
    const bad = await shell(['ls', '--all']);
    expect([bad.code, bad.stderr]).to.deep.equal([125, 'racker: unknown flag: --all (racker shell ls takes -q, --no-trunc and --format)\n']);
  });

  it('a new login\'s runtime directory is not the one the shell started with: the shell says so, and how to get it', async () => {
    await fs.rename(runtime, `${runtime}.old`);
    try {
      mkdirSync(runtime, { mode: 0o700 });
      execFileSync('chown', [`${uid}:${uid}`, runtime]);
      const r = ok(await shell(['debian-bookworm', '--', 'true']));
      expect(r.stderr).to.equal(`your session's runtime directory ${runtime} is not the one ${pet} started with (a new login?): restart the shell for Wayland, the session bus and sound (racker stop ${pet})\n`);
    } finally {
      await fs.rm(runtime, { recursive: true, force: true });
      await fs.rename(`${runtime}.old`, runtime);
    }
    expect(ok(await shell(['debian-bookworm', '--', 'true'])).stderr).to.equal('');
  });

  it('exports from a shell made with sudo are refused: their launcher, run without sudo, could not enter it', async () => {
    const r = await shell(['--export-app', 'xterm', 'debian-bookworm']);
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([
      1,
      '',
      `racker: exported apps run "racker shell" as ${user}, without sudo, which cannot enter ${pet}: it was made with sudo. Make your shell without sudo, as a member of the group racker (doc/security.md), and export from it\n`,
    ]);
  });

  it('--no-desktop: a plain shell, nothing of the session inside', async function () {
    this.timeout(180_000);
    const r = ok(await shell(['--reset', '--no-desktop', 'debian-bookworm', '--', 'sh', '-c', `echo "[$DISPLAY][$XDG_RUNTIME_DIR][$DBUS_SESSION_BUS_ADDRESS]"; ls /run/racker-shell 2>&1; test -e ${runtime}/bus || echo no-bus`]));
    expect(r.stdout).to.equal('[][][]\nls: cannot access \'/run/racker-shell\': No such file or directory\nno-bus\n');
    const shellInfo = JSON.parse(ok(await racker(['inspect', '--format', '{{json .Shell}}', pet], { root })).stdout);
    expect(shellInfo).to.deep.equal({ User: user, Desktop: [], Exports: [] });
    ok(await racker(['rm', '-f', pet], { root }));
    // The test's own X server runs with its cookie under this root: not the shell's leftover.
    expect(leftovers(root).filter((l) => !daemons.some((d) => l.includes(`: ${d.pid} `)))).to.deep.equal([]);
    expect(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(runtime) || l.includes(root))).to.deep.equal([]);
  });
});

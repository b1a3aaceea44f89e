import { expect } from 'chai';
import { callerSessionEnv, desktopBinds, desktopConfig, entryPlan, forwardedKinds, localDisplay, runtimeDir, wildcardCookies, type DesktopConfig } from '../../lib/shell/desktop.js';
import { forwardedEnv } from '../../lib/api/cli-forward.js';

const owner = { uid: 1000, gid: 1000, name: 'alice', home: '/home/alice' };
const desktop: DesktopConfig = { runtimeDir: '/run/user/1000', gpu: false };
const present = (paths: string[]) => (p: string) => paths.includes(p);

/** One Xauthority entry (Xau's format: family, then four length-prefixed fields). */
function entry(family: number, address: string, number: string, data: number[]): Buffer {
  const field = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  return Buffer.concat([Buffer.from([family >> 8, family & 0xff]), field(Buffer.from(address)), field(Buffer.from(number)), field(Buffer.from('MIT-MAGIC-COOKIE-1')), field(Buffer.from(data))]);
}

describe('racker shell desktop (lib/shell/desktop.ts)', () => {
  it('the runtime directory: the caller\'s XDG_RUNTIME_DIR, else /run/user/UID (sudo drops it); "/" or a relative one is not taken', () => {
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000/' }, owner)).to.equal('/run/user/1000');
    expect(runtimeDir({}, owner)).to.equal('/run/user/1000');
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/' }, owner)).to.equal('/run/user/1000');
    expect(runtimeDir({ XDG_RUNTIME_DIR: 'run/x' }, owner)).to.equal('/run/user/1000');
  });

  it('binds: the X11 directory read-only where the container\'s systemd does not empty it, the runtime directory, fonts; /dev/dri only with gpu; all optional', () => {
    expect(desktopBinds(desktop)).to.deep.equal([
      { host: '/tmp/.X11-unix', container: '/run/racker-shell/x11', readOnly: true, optional: true },
      { host: '/run/user/1000', container: '/run/user/1000', readOnly: false, optional: true },
      { host: '/usr/share/fonts', container: '/usr/local/share/fonts/racker-host', readOnly: true, optional: true },
    ]);
    expect(desktopBinds({ ...desktop, gpu: true }).map((b) => b.host)).to.include('/dev/dri');
    expect(desktopConfig({}, owner, { gpu: true })).to.deep.equal({ runtimeDir: '/run/user/1000', gpu: true });
    expect(forwardedKinds(undefined)).to.deep.equal([]);
    expect(forwardedKinds({ ...desktop, gpu: true })).to.deep.equal(['x11', 'wayland', 'session-bus', 'sound', 'fonts', 'gpu']);
  });

  it('DISPLAY: local displays only (a TCP display needs a network the shell does not share)', () => {
    expect([':0', ':12.0', 'unix:3', 'unix/:4', 'host:1', 'localhost:10.0', '', undefined].map(localDisplay)).to.deep.equal([0, 12, 3, 4, undefined, undefined, undefined, undefined]);
  });

  it('an entry with everything running: display, cookie copy, runtime dir, Wayland, bus, sound, session and locale variables', () => {
    const env = {
      DISPLAY: ':1',
      XAUTHORITY: '/tmp/xauth_abc',
      WAYLAND_DISPLAY: 'wayland-1',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
      XDG_SESSION_TYPE: 'wayland',
      LANG: 'de_DE.UTF-8',
      LC_TIME: 'C',
      PATH: '/not/passed',
      SSH_AUTH_SOCK: '/not/passed',
    };
    const plan = entryPlan(env, owner, desktop, present(['/tmp/.X11-unix/X1', '/tmp/xauth_abc', '/run/user/1000', '/run/user/1000/wayland-1', '/run/user/1000/bus', '/run/user/1000/pulse/native']));
    expect(plan).to.deep.equal({
      env: [
        'LANG=de_DE.UTF-8',
        'LC_TIME=C',
        'XDG_SESSION_TYPE=wayland',
        'DISPLAY=:1',
        'XAUTHORITY=/run/racker-shell/Xauthority',
        'XDG_RUNTIME_DIR=/run/user/1000',
        'WAYLAND_DISPLAY=wayland-1',
        'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus',
        'PULSE_SERVER=unix:/run/user/1000/pulse/native',
      ],
      x11Link: { path: '/tmp/.X11-unix/X1', target: '/run/racker-shell/x11/X1' },
      display: 1,
      copyXauthority: '/tmp/xauth_abc',
    });
  });

  it('nothing that is not there, nothing outside what the shell binds; --no-desktop: the locale only', () => {
    const env = { DISPLAY: ':1', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/var/run/elsewhere', PULSE_SERVER: 'tcp:host', LANG: 'C.UTF-8' };
    expect(entryPlan(env, owner, desktop, present(['/run/user/1000', '/var/run/elsewhere']))).to.deep.equal({ env: ['LANG=C.UTF-8', 'XDG_RUNTIME_DIR=/run/user/1000'] });
    expect(entryPlan(env, owner, undefined, () => true)).to.deep.equal({ env: ['LANG=C.UTF-8'] });
  });

  it('a cookie made for any host: the display\'s entries only, family FamilyWild; not a cookie file: nothing', () => {
    const file = Buffer.concat([entry(256, 'myhost', '0', [1, 2]), entry(256, 'myhost', '1', [3, 4, 5]), entry(0, '\x7f\x00\x00\x01', '1', [6])]);
    expect(wildcardCookies(file, 1)).to.deep.equal(Buffer.concat([entry(0xffff, '', '1', [3, 4, 5]), entry(0xffff, '', '1', [6])]));
    expect(wildcardCookies(file, 7)).to.equal(undefined);
    expect(wildcardCookies(Buffer.from([1, 0, 0, 9]), 0)).to.equal(undefined);
    expect(wildcardCookies(Buffer.alloc(0), 0)).to.equal(undefined);
  });

  it('a member\'s session variables travel renamed (no root process takes XDG_RUNTIME_DIR as its own) and are read back for the shell', () => {
    const sent = forwardedEnv({ DISPLAY: ':0', XDG_RUNTIME_DIR: '/run/user/1000', LANG: 'C', LD_PRELOAD: '/x.so', RACKER_CALLER_ENV_DISPLAY: ':9' });
    expect(sent).to.deep.equal({ RACKER_CALLER_ENV_DISPLAY: ':0', RACKER_CALLER_ENV_XDG_RUNTIME_DIR: '/run/user/1000', LANG: 'C' });
    expect(callerSessionEnv({ ...sent, XDG_RUNTIME_DIR: '/run/user/0', DISPLAY: ':5' }, true)).to.deep.equal({ DISPLAY: ':0', XDG_RUNTIME_DIR: '/run/user/1000', LANG: 'C' });
    expect(callerSessionEnv({ DISPLAY: ':5' }, false)).to.deep.equal({ DISPLAY: ':5' });
  });
});

describe('racker shell: the host\'s /etc/hosts (lib/shell/host-files.ts)', () => {
  it('entries that name other machines, one NAME:IP each; loopback, the IPv6 specials, comments and nonsense stay out', async () => {
    const { hostEntries } = await import('../../lib/shell/host-files.js');
    const hosts = [
      '127.0.0.1\tlocalhost',
      '127.0.1.1 myhost.example myhost',
      '::1 localhost ip6-localhost',
      'ff02::1 ip6-allnodes',
      '192.168.1.20  build.lan build   # the build box',
      '# 10.0.0.1 commented',
      'fd00::5 nas',
      'not-an-ip name',
      '10.1.1.1',
      '10.2.2.2 bad;name ok-name',
    ].join('\n');
    expect(hostEntries(hosts)).to.deep.equal(['build.lan:192.168.1.20', 'build:192.168.1.20', 'nas:fd00::5', 'ok-name:10.2.2.2']);
  });
});

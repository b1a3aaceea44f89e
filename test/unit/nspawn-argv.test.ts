import { expect } from 'chai';
import { enterHostPidArgv, isSystemRunningArgv, nsenterArgv, nspawnBootArgv, nspawnDirectArgv } from '../../lib/tools/nspawn.js';
import { overlayMountArgv, umountArgv } from '../../lib/tools/mount.js';

const base = {
  directory: '/run/racker/containers/abc/rootfs',
  machine: 'racker-abc',
  hostname: 'web',
  privateNetwork: false,
  binds: [],
};

describe('container argv', () => {
  it('boot mode on a host without machined (CI containers)', () => {
    expect(nspawnBootArgv({ ...base, register: false })).to.deep.equal([
      'systemd-nspawn', '--quiet', '--directory=/run/racker/containers/abc/rootfs', '--hostname=web', '--resolv-conf=copy-host',
      '--timezone=off', '--link-journal=no', '--register=no', '--keep-unit', '--machine=racker-abc', '--boot', '--console=read-only',
    ]);
  });

  it('boot mode on a host with systemd and machined: registered, so machinectl lists it', () => {
    const argv = nspawnBootArgv({ ...base, register: true });
    expect(argv).to.include('--register=yes');
    expect(argv).to.include('--machine=racker-abc');
    expect(argv).not.to.include('--keep-unit');
  });

  it('direct mode: env, working dir, user, binds with colons escaped, private network', () => {
    expect(
      nspawnDirectArgv({
        ...base,
        register: false,
        privateNetwork: true,
        binds: [{ host: '/srv/a:b', container: '/data', readOnly: true }, { host: '/x', container: '/y', readOnly: false }],
        command: ['sh', '-c', 'echo $A'],
        env: ['A=1', 'PATH=/bin'],
        workingDir: '/tmp',
        switchUser: { tool: '/usr/sbin/gosu', uid: 65534, gid: 100 },
        tty: false,
      }),
    ).to.deep.equal([
      'systemd-nspawn', '--quiet', '--directory=/run/racker/containers/abc/rootfs', '--hostname=web', '--resolv-conf=copy-host',
      '--timezone=off', '--link-journal=no', '--register=no', '--keep-unit', '--machine=racker-abc', '--private-network',
      '--bind-ro=/srv/a\\:b:/data', '--bind=/x:/y', '--console=pipe', '--chdir=/tmp', '--bind-ro=/usr/sbin/gosu:/run/racker/gosu',
      '--setenv=A=1', '--setenv=PATH=/bin', '--', '/run/racker/gosu', '65534:100', 'sh', '-c', 'echo $A',
    ]);
    expect(nspawnDirectArgv({ ...base, register: false, command: ['sh'], env: [], tty: true })).to.include('--console=interactive');
  });

  it('nsenter into the leader; the working directory is never a path (the host would resolve it); uid/gid', () => {
    expect(nsenterArgv({ leader: 42, command: ['id'], workingDirFd: { pid: 7, fd: 23 }, uid: 65534, gid: 65534 })).to.deep.equal([
      'nsenter', '--target=42', '--all', '--wd=/proc/7/fd/23', '--setgid=65534', '--setuid=65534', '--', 'id',
    ]);
    expect(nsenterArgv({ leader: 42, command: ['pwd'] })).to.deep.equal(['nsenter', '--target=42', '--all', '--', 'pwd']);
    expect(isSystemRunningArgv(7)).to.deep.equal(['nsenter', '--target=7', '--all', '--', 'systemctl', 'is-system-running']);
    expect(isSystemRunningArgv(7, { wait: true })).to.deep.equal(['nsenter', '--target=7', '--all', '--', 'systemctl', 'is-system-running', '--wait']);
  });

  it('overlay mount and unmount', () => {
    expect(overlayMountArgv({ lower: '/l', upper: '/u', work: '/w', target: '/t' })).to.deep.equal([
      'mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir=/l,upperdir=/u,workdir=/w', '/t',
    ]);
    expect(overlayMountArgv({ lower: '/l', upper: '/u', work: '/w', target: '/t', volatile: true })[5]).to.equal('lowerdir=/l,upperdir=/u,workdir=/w,volatile');
    expect(umountArgv('/t')).to.deep.equal(['umount', '/t']);
    expect(umountArgv('/t', true)).to.deep.equal(['umount', '--lazy', '/t']);
  });

  it('--host-pid: the native piece with the leader, the working directory as racker holds it, the user (-1: root) and the command', () => {
    expect(enterHostPidArgv('/dist/native/racker-enter-host-pid', { leader: 42, command: ['ps', '-e'], workingDirFd: { pid: 7, fd: 23 }, uid: 1000, gid: 100 })).to.deep.equal([
      '/dist/native/racker-enter-host-pid', '42', '/proc/7/fd/23', '1000', '100', '--', 'ps', '-e',
    ]);
    expect(enterHostPidArgv('/t', { leader: 1, command: ['sh'], workingDirFd: { pid: 2, fd: 3 } }).slice(3, 5)).to.deep.equal(['-1', '-1']);
  });
});

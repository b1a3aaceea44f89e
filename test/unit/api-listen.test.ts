import { expect } from 'chai';
import { activationFd, forgetActivation, systemdSocket, unixListenerPath } from '../../lib/api/listen.js';
import { RackerError } from '../../lib/errors.js';

describe('Engine API: a socket from systemd (socket activation)', () => {
  const pid = 4242;

  it('LISTEN_PID is this process and LISTEN_FDS=1: fd 3', () => {
    expect(activationFd({ LISTEN_PID: '4242', LISTEN_FDS: '1' }, pid)).to.equal(3);
    expect(activationFd({ LISTEN_PID: '4242', LISTEN_FDS: '1', LISTEN_FDNAMES: 'racker.socket' }, pid)).to.equal(3);
  });

  it('nothing passed, none to this process (a parent left them set), or zero sockets: no fd, the service makes its own socket', () => {
    expect(activationFd({}, pid)).to.equal(undefined);
    expect(activationFd({ LISTEN_PID: '', LISTEN_FDS: '1' }, pid)).to.equal(undefined);
    expect(activationFd({ LISTEN_PID: '4241', LISTEN_FDS: '1' }, pid)).to.equal(undefined);
    expect(activationFd({ LISTEN_PID: '4242', LISTEN_FDS: '0' }, pid)).to.equal(undefined);
  });

  it('malformed variables or more than one socket: one line saying which', () => {
    const message = (env: NodeJS.ProcessEnv) => {
      try {
        activationFd(env, pid);
      } catch (err) {
        expect(err).to.be.instanceOf(RackerError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(message({ LISTEN_PID: 'x', LISTEN_FDS: '1' })).to.equal('LISTEN_PID=x: not a process ID (socket activation)');
    expect(message({ LISTEN_PID: '4242' })).to.equal('LISTEN_FDS=: not a number of sockets (socket activation)');
    expect(message({ LISTEN_PID: '4242', LISTEN_FDS: '-1' })).to.equal('LISTEN_FDS=-1: not a number of sockets (socket activation)');
    expect(message({ LISTEN_PID: '4242', LISTEN_FDS: '2' })).to.equal('systemd passed 2 sockets; racker system service serves one (one ListenStream= in racker.socket)');
  });

  it('the variables are removed, so supervisors and tools started later do not take the socket as theirs', async () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '1', LISTEN_FDS: '1', LISTEN_FDNAMES: 'x', PATH: '/bin' };
    forgetActivation(env);
    expect(env).to.deep.equal({ PATH: '/bin' });
    // Also when they were meant for another process, and when they are malformed.
    const other: NodeJS.ProcessEnv = { LISTEN_PID: '1', LISTEN_FDS: '1', PATH: '/bin' };
    expect(await systemdSocket(other, pid)).to.equal(undefined);
    expect(other).to.deep.equal({ PATH: '/bin' });
    const bad: NodeJS.ProcessEnv = { LISTEN_PID: '4242', LISTEN_FDS: '3', PATH: '/bin' };
    let thrown: unknown;
    await systemdSocket(bad, pid).catch((err: unknown) => (thrown = err));
    expect(thrown).to.be.instanceOf(RackerError);
    expect(bad).to.deep.equal({ PATH: '/bin' });
  });

  const procNetUnix = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '0000000000000000: 00000002 00000000 00010000 0001 01 12063644 /run/racker/docker.sock',
    '0000000000000000: 00000003 00000000 00000000 0001 03 12063650 /run/racker/docker.sock',
    '0000000000000000: 00000002 00000000 00000000 0002 01 2001 /run/systemd/notify',
    '0000000000000000: 00000002 00000000 00010000 0001 01 2002 /tmp/a dir/with spaces.sock',
    '0000000000000000: 00000002 00000000 00010000 0001 01 2003 @abstract',
    '0000000000000000: 00000003 00000000 00000000 0001 03 2004',
    '',
  ].join('\n');

  it("/proc/net/unix: a listening stream socket's path by its inode", () => {
    expect(unixListenerPath(procNetUnix, 12063644)).to.equal('/run/racker/docker.sock');
    expect(unixListenerPath(procNetUnix, 2002)).to.equal('/tmp/a dir/with spaces.sock');
    expect(unixListenerPath(procNetUnix, 2003)).to.equal('@abstract');
  });

  it('/proc/net/unix: a connected socket, a datagram socket, an unnamed one, an inode not there (TCP): none', () => {
    expect(unixListenerPath(procNetUnix, 12063650)).to.equal(undefined);
    expect(unixListenerPath(procNetUnix, 2001)).to.equal(undefined);
    expect(unixListenerPath(procNetUnix, 2004)).to.equal(undefined);
    expect(unixListenerPath(procNetUnix, 99)).to.equal(undefined);
  });
});

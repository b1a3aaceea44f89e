import { expect } from 'chai';
import { hostBootTime, liveState, type ContainerRecord } from '../../lib/container/record.js';

function running(startedAt: string, pid: number): ContainerRecord {
  return {
    id: 'a'.repeat(64),
    name: 'c',
    created: startedAt,
    image: { id: 'sha256:x', name: 'x' },
    config: { imageName: 'x', imageId: 'sha256:x', command: [], env: [], hostname: 'c', tty: false, interactive: false, binds: [], network: 'host', boot: true, autoRemove: false },
    state: { status: 'running', nspawnPid: pid, supervisorPid: pid, startedAt },
  };
}

describe('liveState: the truth about a container', () => {
  it('knows when this host booted', () => {
    expect(hostBootTime()).to.be.within(Date.parse('2000-01-01'), Date.now());
  });

  it('running while its processes live', () => {
    expect(liveState(running(new Date().toISOString(), process.pid)).status).to.equal('running');
  });

  it('exited when its processes are gone, with 255 when nobody recorded a code', () => {
    const s = liveState(running(new Date().toISOString(), 2 ** 30));
    expect([s.status, s.exitCode]).to.deep.equal(['exited', 255]);
  });

  it('exited when it started before this boot, even if its PID is alive again (reused after a reboot)', () => {
    const before = new Date(hostBootTime() - 60_000).toISOString();
    expect(liveState(running(before, process.pid)).status).to.equal('exited');
  });
});

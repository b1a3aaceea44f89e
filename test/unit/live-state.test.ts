import { expect } from 'chai';
import { hostBootTime, isRestarting, liveState, type ContainerRecord } from '../../lib/container/record.js';
import { inspectContainer, shownStatus, statusText } from '../../lib/container/view.js';

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

describe('restarting: ended, and its supervisor runs it again after the delay', () => {
  const ended = (state: Partial<ContainerRecord['state']>): ContainerRecord => {
    const r = running('2026-01-01T00:00:00Z', process.pid);
    r.state = { status: 'exited', exitCode: 3, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:10Z', supervisorPid: process.pid, ...state };
    return r;
  };
  const now = Date.parse('2026-01-01T00:00:15Z');

  it('reads as docker shows it: ps Status, State, inspect Running and Restarting', () => {
    const r = ended({ restarting: true });
    expect(isRestarting(r.state)).to.equal(true);
    expect(shownStatus(r)).to.equal('restarting');
    expect(statusText(r, now)).to.equal('Restarting (3) 5 seconds ago');
    const state = (inspectContainer(r) as { State: Record<string, unknown> }).State;
    expect([state.Status, state.Running, state.Restarting]).to.deep.equal(['restarting', true, true]);
  });

  it('is a plain exit once stopped by hand, without the mark, or when its supervisor is gone', () => {
    for (const r of [ended({ restarting: true, stoppedByHand: true }), ended({}), ended({ restarting: true, supervisorPid: 2 ** 30 })]) {
      expect(isRestarting(r.state)).to.equal(false);
      expect(statusText(r, now)).to.equal('Exited (3) 5 seconds ago');
    }
  });
});

import { expect } from 'chai';
import { poolCompatible } from '../../lib/pool/compat.js';
import { conditionOf } from '../../lib/pool/machines.js';
import { missingMachines } from '../../lib/pool/refill.js';
import { poolId } from '../../lib/pool/store.js';
import type { CreateOptions } from '../../lib/container/create.js';
import type { ContainerRecord, ContainerState } from '../../lib/container/record.js';

const base: CreateOptions = { image: 'debian', args: ['true'], autoRemove: true };
const bridge = { network: 'bridge' };

describe('pool: which runs a warm machine serves (poolCompatible)', () => {
  it('run --rm IMAGE CMD with what can be applied after boot: name, hostname, env, workdir, user, -t/-i, entrypoint', () => {
    for (const extra of [{}, { name: 'x' }, { hostname: 'h' }, { env: ['A=1'] }, { workdir: '/srv' }, { user: 'nobody' }, { tty: true, interactive: true }, { entrypoint: 'sh' }, { pull: 'missing' as const }, { restart: 'no' }, { volumes: [] }]) {
      expect(poolCompatible({ ...base, ...extra }, bridge), JSON.stringify(extra)).to.deep.equal({ ok: true });
    }
  });

  const refused: Array<[Partial<CreateOptions>, RegExp]> = [
    [{ autoRemove: false }, /^without --rm/],
    [{ detach: true }, /^-d:/],
    [{ boot: false }, /^--no-boot/],
    [{ network: 'none' }, /^network none: the pool's machines are on bridge$/],
    [{ volumes: ['/a:/b'] }, /^-v: a bind mount/],
    [{ tmpfs: ['/run'] }, /^--tmpfs/],
    [{ publish: ['80'] }, /^-p\/-P/],
    [{ publishAll: true }, /^-p\/-P/],
    [{ ip: '10.0.0.2' }, /^--ip/],
    [{ links: ['a'] }, /--link/],
    [{ dns: ['1.1.1.1'] }, /^--dns/],
    [{ addHosts: ['a:1.2.3.4'] }, /^--dns\/--add-host/],
    [{ deviceCgroupRules: ['c 1:3 rwm'] }, /^--device-cgroup-rule/],
    [{ resources: { memory: 1 << 20 } as CreateOptions['resources'] }, /^resource limits/],
    [{ init: true }, /^--init/],
    [{ restart: 'always' }, /^--restart/],
    [{ pull: 'always' }, /^--pull always/],
    [{ stopSignal: 'SIGINT' }, /^--stop-signal/],
    [{ health: { cmd: 'true' } }, /^health check/],
  ];
  for (const [extra, reason] of refused) {
    it(`refuses ${JSON.stringify(extra)}, saying why`, () => {
      const fit = poolCompatible({ ...base, ...extra }, bridge);
      expect(fit.ok).to.equal(false);
      expect(fit.ok ? '' : fit.reason).to.match(reason);
    });
  }

  it('a pool on network none serves runs that ask for none', () => {
    expect(poolCompatible({ ...base, network: 'none' }, { network: 'none' })).to.deep.equal({ ok: true });
    expect(poolCompatible(base, { network: 'none' })).to.deep.equal({ ok: false, reason: "network bridge: the pool's machines are on none" });
  });
});

describe('pool: machines and sizes', () => {
  const rec = (state: Partial<ContainerState>, takenBy?: number): ContainerRecord =>
    ({ id: 'a'.repeat(64), name: 'pool-x', created: '', image: { id: 'i', name: 'n' }, config: {} as ContainerRecord['config'], state: { status: 'created', ...state }, pool: { id: 'p', ...(takenBy ? { takenBy } : {}) } }) as ContainerRecord;
  const alive = (pids: number[]) => (pid: number | undefined) => pid !== undefined && pids.includes(pid);

  it('conditionOf: ready once booted (leader known), booting before, taken while its run lives, dead otherwise', () => {
    // (the live state given: what liveState says of a record whose processes run)
    expect(conditionOf(rec({ status: 'running', leaderPid: 5 }), { status: 'running', leaderPid: 5 }, alive([]))).to.equal('ready');
    expect(conditionOf(rec({ status: 'running' }), { status: 'running' }, alive([]))).to.equal('booting');
    expect(conditionOf(rec({ status: 'created', supervisorPid: 7 }), undefined, alive([7]))).to.equal('booting');
    expect(conditionOf(rec({ status: 'created', supervisorPid: 7 }), undefined, alive([]))).to.equal('dead');
    expect(conditionOf(rec({ status: 'exited' }), undefined, alive([]))).to.equal('dead');
    expect(conditionOf(rec({ status: 'running', leaderPid: 5 }, 9), { status: 'running', leaderPid: 5 }, alive([9]))).to.equal('taken');
    expect(conditionOf(rec({ status: 'running', leaderPid: 5 }, 9), { status: 'running', leaderPid: 5 }, alive([]))).to.equal('dead');
  });

  it('missingMachines never asks for more than the size, nor fewer than none', () => {
    expect([missingMachines(2, 0), missingMachines(2, 1), missingMachines(2, 2), missingMachines(2, 5)]).to.deep.equal([2, 1, 0, 0]);
  });

  it('one pool per image and network', () => {
    expect(poolId('docker.io/library/debian:bookworm', 'bridge')).to.match(/^[0-9a-f]{16}$/);
    expect(poolId('a', 'bridge')).to.not.equal(poolId('a', 'none'));
  });
});

import { expect } from 'chai';
import { parseRestartPolicy, restartDelayMs, restartPolicyOf, shouldRestart } from '../../lib/container/restart.js';

describe('restart policies (pure)', () => {
  it('--restart as docker takes it', () => {
    expect(parseRestartPolicy('always')).to.deep.equal({ name: 'always', maximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:5')).to.deep.equal({ name: 'on-failure', maximumRetryCount: 5 });
    expect(parseRestartPolicy('unless-stopped')).to.deep.equal({ name: 'unless-stopped', maximumRetryCount: 0 });
    expect(() => parseRestartPolicy('sometimes')).to.throw(/invalid restart policy: sometimes/);
    expect(() => parseRestartPolicy('always:3')).to.throw(/can only be used with 'on-failure'/);
    expect(() => parseRestartPolicy('on-failure:x')).to.throw(/must be a number/);
    expect(restartPolicyOf({ Name: '' })).to.equal(undefined);
    expect(restartPolicyOf({ Name: 'no' })).to.equal(undefined);
    expect(restartPolicyOf({ Name: 'on-failure', MaximumRetryCount: 2 })).to.deep.equal({ name: 'on-failure', maximumRetryCount: 2 });
    expect(restartPolicyOf({ Name: 'always', MaximumRetryCount: 2 })).to.deep.equal({ name: 'always', maximumRetryCount: 0 });
  });

  it('who comes back: never after a stop by hand; on-failure on a non-zero code within its count', () => {
    const always = parseRestartPolicy('always');
    const twice = parseRestartPolicy('on-failure:2');
    expect([shouldRestart(undefined, 1, 0, false), shouldRestart(always, 0, 9, false), shouldRestart(always, 1, 0, true)]).to.deep.equal([false, true, false]);
    expect([shouldRestart(twice, 0, 0, false), shouldRestart(twice, 3, 1, false), shouldRestart(twice, 3, 2, false)]).to.deep.equal([false, true, false]);
    expect(shouldRestart(parseRestartPolicy('on-failure'), 1, 1000, false)).to.equal(true);
  });

  it("docker's delay: 100 ms, doubling, at most a minute; a run of 10 s starts over", () => {
    let d = 0;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((d = restartDelayMs(d, 50)));
    expect(seen).to.deep.equal([100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
    expect(restartDelayMs(60_000, 10_000)).to.equal(100);
  });
});

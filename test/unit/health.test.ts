import { expect } from 'chai';
import { healthCommand, healthConfigOf, healthSuffix, initialHealth, nextHealth, parseGoDuration, type HealthResult } from '../../lib/container/health.js';

const result = (ExitCode: number, n = 0): HealthResult => ({ Start: `s${n}`, End: `e${n}`, ExitCode, Output: '' });

describe('health checks (pure): docker\'s HEALTHCHECK rules', () => {
  it('Go durations', () => {
    expect([parseGoDuration('30s'), parseGoDuration('1m30s'), parseGoDuration('500ms'), parseGoDuration('0'), parseGoDuration('1.5s'), parseGoDuration('2h')]).to.deep.equal([30_000, 90_000, 500, 0, 1500, 7_200_000]);
    for (const bad of ['30', 's', '1x', '-1s', '1s ', '']) expect(() => parseGoDuration(bad), bad).to.throw(/invalid duration/);
  });

  it('--health-* over the image\'s HEALTHCHECK field by field; defaults 30s/30s/0s/3; none without a test, with NONE or --no-healthcheck', () => {
    const image = { Test: ['CMD', 'check'], Interval: 5e9, Retries: 7 };
    expect(healthConfigOf(image, {})).to.deep.equal({ test: ['CMD', 'check'], intervalMs: 5000, timeoutMs: 30_000, startPeriodMs: 0, retries: 7 });
    expect(healthConfigOf(image, { cmd: 'curl -f localhost', timeout: '2s' })).to.deep.equal({ test: ['CMD-SHELL', 'curl -f localhost'], intervalMs: 5000, timeoutMs: 2000, startPeriodMs: 0, retries: 7 });
    expect(healthConfigOf(image, { none: true })).to.equal(undefined);
    expect(healthConfigOf({ Test: ['NONE'] }, {})).to.equal(undefined);
    expect(healthConfigOf(undefined, {})).to.equal(undefined);
    expect(healthConfigOf(undefined, { interval: '1s' })).to.equal(undefined);
    // The Engine API's Healthcheck: nanoseconds, 0 meaning the default; an empty Test keeps the image's.
    expect(healthConfigOf(image, {}, { Test: [], Interval: 0, Timeout: 1e9, StartPeriod: 2e9 })).to.deep.equal({ test: ['CMD', 'check'], intervalMs: 5000, timeoutMs: 1000, startPeriodMs: 2000, retries: 7 });
    expect(() => healthConfigOf(undefined, {}, { Test: ['CMD-SHELL'] })).to.throw(/invalid health check test/);
    expect(() => healthConfigOf(undefined, { cmd: 'x', retries: -1 })).to.throw(/retries/);
  });

  it('the command: CMD as argv, CMD-SHELL through /bin/sh -c', () => {
    expect(healthCommand(['CMD', 'pg_isready', '-q'])).to.deep.equal(['pg_isready', '-q']);
    expect(healthCommand(['CMD-SHELL', 'curl -f localhost || exit 1'])).to.deep.equal(['/bin/sh', '-c', 'curl -f localhost || exit 1']);
  });

  it('starting → healthy on a success; unhealthy after `retries` failures in a row; failures in the start period do not count; five results kept', () => {
    let h = initialHealth();
    h = nextHealth(h, result(1, 1), true, 2);
    expect(h).to.deep.include({ Status: 'starting', FailingStreak: 0 });
    h = nextHealth(h, result(1, 2), false, 2);
    expect(h).to.deep.include({ Status: 'starting', FailingStreak: 1 });
    h = nextHealth(h, result(1, 3), false, 2);
    expect(h).to.deep.include({ Status: 'unhealthy', FailingStreak: 2 });
    h = nextHealth(h, result(0, 4), false, 2);
    expect(h).to.deep.include({ Status: 'healthy', FailingStreak: 0 });
    h = nextHealth(h, result(1, 5), false, 2);
    expect(h).to.deep.include({ Status: 'healthy', FailingStreak: 1 });
    h = nextHealth(h, result(0, 6), true, 2);
    expect(h.Log.map((r) => r.Start)).to.deep.equal(['s2', 's3', 's4', 's5', 's6']);
  });

  it("ps's suffix", () => {
    expect([healthSuffix(undefined), healthSuffix(initialHealth()), healthSuffix({ Status: 'healthy', FailingStreak: 0, Log: [] }), healthSuffix({ Status: 'unhealthy', FailingStreak: 3, Log: [] })]).to.deep.equal([
      '',
      ' (health: starting)',
      ' (healthy)',
      ' (unhealthy)',
    ]);
  });
});

import { expect } from 'chai';
import { humanDuration, humanSize, table } from '../../lib/format/human.js';

describe('human units (docker go-units)', () => {
  const cases: [number, string][] = [
    [500, 'Less than a second'],
    [1000, '1 second'],
    [45_000, '45 seconds'],
    [60_000, 'About a minute'],
    [5 * 60_000, '5 minutes'],
    [3600_000, 'About an hour'],
    [3 * 3600_000, '3 hours'],
    [3 * 86400_000, '3 days'],
    [20 * 86400_000, '2 weeks'],
    [90 * 86400_000, '3 months'],
    [800 * 86400_000, '2 years'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms → ${text}`, () => expect(humanDuration(ms)).to.equal(text));

  it('sizes with three significant digits in decimal units', () => {
    expect(humanSize(0)).to.equal('0B');
    expect(humanSize(999)).to.equal('999B');
    expect(humanSize(5_590_000)).to.equal('5.59MB');
    expect(humanSize(117_400_000)).to.equal('117MB');
    expect(humanSize(1_240_000_000)).to.equal('1.24GB');
    expect(humanSize(2_000)).to.equal('2kB');
  });

  it('aligns columns like tabwriter', () => {
    expect(table(['A', 'LONGER'], [['xxxx', 'y']])).to.equal('A      LONGER\nxxxx   y\n');
  });
});

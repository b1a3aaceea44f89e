import { expect } from 'chai';
import { checkFlags } from '../../cli/flags.js';
import { rackerCommands } from '../../cli/commands/index.js';
import { nanoTimestamp, parseTimeBound } from '../../lib/container/log-time.js';
import { throwsMessage } from '../helpers/assert.js';

describe("unknown flags: docker's line before yargs parses (issue 23 item 11)", () => {
  const check = (...argv: string[]) => checkFlags('racker', argv, rackerCommands);

  it('names an unknown long flag, and does not take the next word as its value', () => {
    expect(throwsMessage(() => check('rm', '--bogus', 'c1'))).to.equal('unknown flag: --bogus (see racker rm --help)');
    expect(throwsMessage(() => check('--debug', 'ps', '--bogus=1'))).to.equal('unknown flag: --bogus (see racker ps --help)');
  });

  it("names an unknown letter in a cluster, as pflag's 'unknown shorthand flag'", () => {
    expect(throwsMessage(() => check('ps', '-qx'))).to.equal("unknown shorthand flag: 'x' in -qx (see racker ps --help)");
  });

  it('accepts known flags, aliases, values that look like flags, clusters ending in a value flag, and what follows --', () => {
    check('rm', '-fv', 'c1');
    check('stop', '-t', '-1', 'c1');
    check('logs', '--tail=5', '-n', '3', 'c1');
    check('ps', '-af', 'name=x', '--no-trunc');
    check('run', '-dit', '--name', '-weird', '--env', 'A=1');
    check('--debug', 'images', '--help');
    check('start', 'c1', '--', '--not-a-flag');
    check('system', 'prune', '--whatever'); // subcommands: yargs decides
  });
});

describe("logs --since/--until and -t (issue 23 items 9, 12)", () => {
  const now = Date.parse('2024-05-06T07:08:09.500Z');

  it('reads RFC 3339 times and dates, unix seconds and Go durations before now', () => {
    expect(parseTimeBound('since', '2024-05-06T07:00:00Z', now)).to.equal(Date.parse('2024-05-06T07:00:00Z'));
    expect(parseTimeBound('since', '2024-05-06T07:00:00.25+02:00', now)).to.equal(Date.parse('2024-05-06T05:00:00.250Z'));
    expect(parseTimeBound('since', '2024-05-06', now)).to.equal(Date.parse('2024-05-06T00:00:00Z'));
    expect(parseTimeBound('since', '1714979289.5', now)).to.equal(1714979289500);
    expect(parseTimeBound('since', '10m', now)).to.equal(now - 600_000);
    expect(parseTimeBound('until', '1h30m', now)).to.equal(now - 5_400_000);
    expect(parseTimeBound('until', '250ms', now)).to.equal(now - 250);
  });

  it("refuses anything else with docker's words", () => {
    for (const v of ['yesterday', '10d', '2024-13-45', '']) {
      expect(throwsMessage(() => parseTimeBound('since', v, now)), v).to.equal(`invalid value for "since": failed to parse value as time or duration: "${v}"`);
    }
  });

  it("prints nine fraction digits always, docker's RFC3339NanoFixed", () => {
    expect(nanoTimestamp('2024-05-06T07:08:09.123Z')).to.equal('2024-05-06T07:08:09.123000000Z');
    expect(nanoTimestamp('2024-05-06T07:08:09Z')).to.equal('2024-05-06T07:08:09.000000000Z');
  });
});

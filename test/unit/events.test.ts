import { expect } from 'chai';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTimeBound } from '../../lib/container/log-time.js';
import { eventFilters, eventMatches, filterFlags, stripTag } from '../../lib/events/filter.js';
import { eventText, rfc3339NanoFixed, templateValue } from '../../lib/events/format.js';
import { appendEvent, emit, eventLine, eventMessage, MAX_LINE, type EventInput, type EventMessage } from '../../lib/events/log.js';
import { parseEventLine, parseEventTime, readStoredEvents, watchEvents } from '../../lib/events/read.js';
import { renderTemplate } from '../../lib/format/template.js';
import { pathsUnder } from '../../lib/state/paths.js';

const ID = 'a'.repeat(64);
const container = { id: ID, name: 'web', config: { imageName: 'busybox:latest' } };
const NANO = 1_765_105_200_123_456_789n; // 2025-12-07T11:00:00.123456789Z

function message(input: EventInput, labels: Record<string, string> = {}): EventMessage {
  return parseEventLine(eventLine(eventMessage(input, NANO, labels)).trimEnd())!.message;
}

describe('events: the message and its line', () => {
  it('a container event: docker shape, labels under image and name, the legacy status/id/from, exact timeNano', () => {
    const line = eventLine(eventMessage({ type: 'container', action: 'die', container, attributes: { exitCode: '3' } }, NANO, { team: 'qa', name: 'label-loses' }));
    expect(line).to.equal(
      `{"status":"die","id":"${ID}","from":"busybox:latest","Type":"container","Action":"die","Actor":{"ID":"${ID}","Attributes":{"team":"qa","name":"web","image":"busybox:latest","exitCode":"3"}},"scope":"local","time":1765105200,"timeNano":1765105200123456789}\n`,
    );
    expect(parseEventLine(line.trimEnd())!.nano).to.equal(NANO);
  });

  it('image events keep status and id; network and volume events have neither', () => {
    expect(message({ type: 'image', action: 'tag', id: 'sha256:1', attributes: { name: 'x:1' } })).to.deep.include({ status: 'tag', id: 'sha256:1' });
    const net = message({ type: 'network', action: 'create', id: 'n1', attributes: { name: 'web', type: 'bridge' } });
    expect(Object.keys(net)).to.deep.equal(['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  });

  it('a line stays under PIPE_BUF (one atomic write): long labels go first, what identifies the event stays', () => {
    const labels = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`label.${i}`, 'x'.repeat(200)]));
    const line = eventLine(eventMessage({ type: 'container', action: 'die', container, attributes: { exitCode: '0' } }, NANO, labels));
    expect(Buffer.byteLength(line)).to.be.below(MAX_LINE);
    expect(JSON.parse(line).Actor.Attributes).to.deep.equal({ name: 'web', image: 'busybox:latest', exitCode: '0' });
  });
});

describe('events: filters (docker\'s daemon/events/filter.go)', () => {
  const f = (...flags: string[]) => eventFilters(filterFlags(flags));
  const start = message({ type: 'container', action: 'start', container }, { team: 'qa', tier: '' });
  const exec = message({ type: 'container', action: 'exec_start: sh -c date', container });
  const pull = message({ type: 'image', action: 'pull', id: 'registry:5000/racker/busybox:latest', attributes: { name: 'registry:5000/racker/busybox' } });
  const connect = message({ type: 'network', action: 'connect', id: 'n'.repeat(64), attributes: { name: 'bridge', container: ID, type: 'bridge' } });

  it('type, event (exact; exec_create/exec_start/health_status by prefix), scope', () => {
    expect(eventMatches(f('type=container'), start)).to.equal(true);
    expect(eventMatches(f('type=image', 'type=network'), start)).to.equal(false);
    expect(eventMatches(f('event=start'), start)).to.equal(true);
    expect(eventMatches(f('event=sta'), start)).to.equal(false);
    expect(eventMatches(f('event=exec_start'), exec)).to.equal(true);
    expect(eventMatches(f('event=exec_start'), start)).to.equal(false);
    expect(eventMatches(f('scope=local'), start)).to.equal(true);
    expect(eventMatches(f('scope=swarm'), start)).to.equal(false);
  });

  it('container by ID or name, prefixes too; it excludes events of other actors', () => {
    expect(eventMatches(f('container=web'), start)).to.equal(true);
    expect(eventMatches(f('container=we'), start)).to.equal(true);
    expect(eventMatches(f(`container=${ID.slice(0, 12)}`), start)).to.equal(true);
    expect(eventMatches(f('container=db'), start)).to.equal(false);
    expect(eventMatches(f('container=web'), connect)).to.equal(false);
    expect(eventMatches(f('network=bridge'), connect)).to.equal(true);
  });

  it('image: the ID or name, with or without its tag (a registry port is no tag)', () => {
    expect(stripTag('registry:5000/racker/busybox:latest')).to.equal('registry:5000/racker/busybox');
    expect(stripTag('registry:5000/racker/busybox')).to.equal('registry:5000/racker/busybox');
    expect(stripTag('busybox@sha256:abc')).to.equal('busybox');
    expect(eventMatches(f('image=registry:5000/racker/busybox'), pull)).to.equal(true);
    expect(eventMatches(f('image=registry:5000/racker/busybox:latest'), pull)).to.equal(true);
    expect(eventMatches(f('image=busybox'), start)).to.equal(true); // busybox:latest without its tag
    expect(eventMatches(f('image=alpine'), start)).to.equal(false);
  });

  it('label: key or key=value, every one given; keys of several filters are ANDed', () => {
    expect(eventMatches(f('label=team'), start)).to.equal(true);
    expect(eventMatches(f('label=team=qa', 'label=tier'), start)).to.equal(true);
    expect(eventMatches(f('label=team=dev'), start)).to.equal(false);
    expect(eventMatches(f('label=team=qa', 'type=image'), start)).to.equal(false);
  });

  it('an unknown key or a bare word is refused; racker has no daemon, plugin or service events', () => {
    expect(() => f('colour=red')).to.throw("invalid filter 'colour'");
    expect(() => f('container')).to.throw('bad format of filter (expected name=value): container');
    expect(eventMatches(f('daemon=x'), start)).to.equal(false);
    // The API's {"k":{"v":true}} form arrives as entries too.
    expect(eventMatches(eventFilters([['type', ['container']]]), start)).to.equal(true);
  });
});

describe('events: output', () => {
  const m = message({ type: 'container', action: 'die', container, attributes: { exitCode: '0' } });

  it("docker's default line: RFC3339 with nine digits, type, action, ID, the attributes sorted", () => {
    expect(eventText(m, 0)).to.equal(`2025-12-07T11:00:00.123456789Z container die ${ID} (exitCode=0, image=busybox:latest, name=web)\n`);
    expect(rfc3339NanoFixed(NANO, 60)).to.equal('2025-12-07T12:00:00.123456789+01:00');
    expect(rfc3339NanoFixed(1_000_000_000n, -330)).to.equal('1969-12-31T18:30:01.000000000-05:30');
    const plain = message({ type: 'volume', action: 'create', id: 'data' });
    expect(eventText(plain, 0)).to.equal('2025-12-07T11:00:00.123456789Z volume create data\n');
  });

  it('--format: Go field names (.Status, .ID, .From, .Scope, .TimeNano) and the JSON names for json', () => {
    const v = templateValue(m);
    expect(renderTemplate('{{.Status}} {{.ID}} {{.From}} {{.Scope}} {{.Time}} {{.Actor.Attributes.exitCode}}', v)).to.equal(`die ${ID} busybox:latest local 1765105200 0`);
    expect(Object.keys(JSON.parse(renderTemplate('{{json .}}', v)))).to.deep.equal(['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  });

  it('time bounds: unix seconds exact to the nanosecond, else RFC 3339 or a duration before now', () => {
    const now = Date.parse('2025-12-07T11:00:00Z');
    expect(parseEventTime('since', '1765105200.123456789', now, parseTimeBound)).to.equal(NANO);
    expect(parseEventTime('since', '1765105200', now, parseTimeBound)).to.equal(1_765_105_200_000_000_000n);
    expect(parseEventTime('since', '10m', now, parseTimeBound)).to.equal(BigInt(now - 600_000) * 1_000_000n);
    expect(parseEventTime('since', '2025-12-07T10:00:00Z', now, parseTimeBound)).to.equal(BigInt(now - 3_600_000) * 1_000_000n);
    expect(() => parseEventTime('until', 'soon', now, parseTimeBound)).to.throw('invalid value for "until"');
  });
});

describe('events: the log (several writers, rotation, reading, following)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-events-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const line = (n: number) => eventLine(eventMessage({ type: 'volume', action: 'create', id: `v${n}` }, NANO + BigInt(n)));

  it('past maxBytes the log becomes events.log.1 (the older one falls off); the reader gets the newest, in order', async () => {
    const file = path.join(dir, 'events.log');
    const size = Buffer.byteLength(line(100));
    for (let n = 100; n < 130; n++) appendEvent(file, line(n), size * 10);
    const current = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const old = readFileSync(`${file}.1`, 'utf8').split('\n').filter(Boolean);
    expect(old).to.have.length(11); // rotated once it grew past 10 lines
    expect(current.length).to.be.below(11);
    const { events } = await readStoredEvents({ events: file });
    const ids = events.map((e) => Number(e.message.Actor.ID.slice(1)));
    expect(ids).to.deep.equal(Array.from({ length: ids.length }, (_, i) => 130 - ids.length + i));
    expect(ids.at(-1)).to.equal(129);
    expect(ids[0]).to.be.above(100); // the oldest fell off
  });

  it('four processes writing at once (and rotating): every line whole', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'events.log');
    const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/events-writer.ts');
    const run = (n: number, max: number) =>
      new Promise<number | null>((resolve) => fork(writer, [file, String(n), String(max)], { execArgv: ['--import', 'tsx'] }).on('exit', resolve));
    expect(await Promise.all([0, 1, 2, 3].map((n) => run(n, 1 << 30)))).to.deep.equal([0, 0, 0, 0]);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).to.have.length(2000);
    expect(lines.every((l) => parseEventLine(l) !== undefined)).to.equal(true);
    // Again with rotations going on meanwhile.
    await fs.rm(file);
    expect(await Promise.all([0, 1, 2, 3].map((n) => run(n, 20_000)))).to.deep.equal([0, 0, 0, 0]);
    // The last write may have rotated the log away: then only events.log.1 is there.
    const files = [file, `${file}.1`].filter((f) => existsSync(f));
    expect(files).to.include(`${file}.1`);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text.endsWith('\n')).to.equal(true);
      expect(text.split('\n').filter(Boolean).every((l) => parseEventLine(l) !== undefined)).to.equal(true);
    }
  });

  it('emit never throws: a log that cannot be written loses the event, not the action', () => {
    const paths = pathsUnder(path.join(dir, 'missing', 'lib'), path.join(dir, 'run'));
    const debug: string[] = [];
    emit({ paths, log: { debug: (l) => debug.push(l) } }, { type: 'volume', action: 'create', id: 'x' });
    expect(debug).to.have.length(1);
    expect(debug[0]).to.match(/^event volume create not recorded: Error: ENOENT/);
  });

  it('watchEvents: since/until select old events and end; following sees new lines, across a rotation', async () => {
    const paths = { events: path.join(dir, 'events.log') };
    for (let n = 0; n < 5; n++) appendEvent(paths.events, line(n));
    const seen: string[] = [];
    await watchEvents(paths, { since: NANO + 1n, until: NANO + 3n, filters: new Map() }, (e) => seen.push(e.message.Actor.ID));
    expect(seen).to.deep.equal(['v1', 'v2', 'v3']);
    const followed: string[] = [];
    const stop = new AbortController();
    const done = watchEvents(paths, { filters: eventFilters([['volume', ['v7', 'v8', 'v9']]]), signal: stop.signal, pollMs: 10 }, (e) => followed.push(e.message.Actor.ID));
    await new Promise((r) => setTimeout(r, 50));
    appendEvent(paths.events, line(7));
    appendEvent(paths.events, line(8), 1); // past maxBytes: rotated right after this line
    appendEvent(paths.events, line(9));
    for (let i = 0; i < 100 && followed.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await done;
    expect(followed).to.deep.equal(['v7', 'v8', 'v9']);
  });
});

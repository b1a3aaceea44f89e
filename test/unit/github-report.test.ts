import { expect } from 'chai';
import { annotationLines, counts, markdownSummary, outputLines, parseReports } from '../../lib/postroj/github.js';
import type { ImageReport } from '../../lib/postroj/report.js';

const probe = (name: string, ok: boolean, evidence = '') => ({ name, ok, durationMs: 10, evidence });

// Two images with the same checks (a selftest), one failing its HTTP check, and one that never started.
const reports: ImageReport[] = [
  { image: 'debian-bookworm', ok: true, durationMs: 900, probes: [probe('package nginx', true), probe('command hostnamectl | grep -q nspawn', true)] },
  { image: 'debian-trixie', ok: false, durationMs: 800, probes: [probe('package nginx', true), probe('command hostnamectl | grep -q nspawn', false, 'first\nlast: 100%, done')] },
  { image: 'reg:5000/busybox', ok: false, durationMs: 5, probes: [], error: 'image has no systemd' },
];

describe('postroj reports for GitHub Actions', () => {
  it('counts every probe, and a machine that did not start as one failure', () => {
    expect(counts(reports)).to.deep.equal({ passed: 3, failed: 2 });
    expect(outputLines(reports)).to.equal('passed=3\nfailed=2\n');
    expect(outputLines([])).to.equal('passed=0\nfailed=0\n');
  });

  it('the job summary: totals, checks down and images across, then each failure with its evidence', () => {
    expect(markdownSummary(reports, 'selftest')).to.equal(
      [
        '### ✗ selftest: 3 passed, 2 failed',
        '',
        '| check | debian-bookworm | debian-trixie | reg:5000/busybox |',
        '|---|:---:|:---:|:---:|',
        '| start machine | ✓ | ✓ | ✗ |',
        '| package nginx | ✓ | ✓ | – |',
        '| command hostnamectl \\| grep -q nspawn | ✓ | ✗ | – |',
        '',
        '<details><summary>✗ debian-trixie: command hostnamectl | grep -q nspawn</summary>',
        '',
        '```text',
        'first',
        'last: 100%, done',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>✗ reg:5000/busybox: start machine</summary>',
        '',
        '```text',
        'image has no systemd',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    );
  });

  it('all passed: a ✓ heading and no details', () => {
    expect(markdownSummary([reports[0]!])).to.equal(
      '### ✓ postroj: 2 passed, 0 failed\n\n| check | debian-bookworm |\n|---|:---:|\n| package nginx | ✓ |\n| command hostnamectl \\| grep -q nspawn | ✓ |\n',
    );
  });

  it('names are shown as written: HTML and a backslash in a table cell are escaped', () => {
    const md = markdownSummary([{ image: 'a', ok: true, durationMs: 1, probes: [probe('command echo <b>x</b> && printf "a\\n"', true)] }]);
    expect(md.split('\n')[4]).to.equal('| command echo &lt;b&gt;x&lt;/b&gt; &amp;&amp; printf "a\\\\n" | ✓ |');
  });

  it('evidence holding a code fence cannot close the block it is shown in', () => {
    const md = markdownSummary([{ image: 'a', ok: false, durationMs: 1, probes: [probe('c', false, 'x\n```\ny')] }]);
    expect(md).to.contain('\n````text\nx\n```\ny\n````\n');
  });

  it('annotations: one ::error line per failure, message and title escaped as workflow commands', () => {
    expect(annotationLines(reports)).to.equal(
      '::error title=postroj debian-trixie%3A command hostnamectl | grep -q nspawn::first%0Alast: 100%25, done\n' +
        '::error title=postroj reg%3A5000/busybox%3A start machine::image has no systemd\n',
    );
    expect(annotationLines([reports[0]!])).to.equal('');
  });

  it('an annotation keeps the last 20 lines of long evidence', () => {
    const evidence = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\n');
    const line = annotationLines([{ image: 'a', ok: false, durationMs: 1, probes: [probe('c', false, evidence)] }]);
    expect(line.trimEnd().split('::')[2]!.split('%0A')).to.deep.equal(Array.from({ length: 20 }, (_, i) => `line ${i + 6}`));
  });

  it('parses only what postroj --report-json writes', () => {
    expect(parseReports(JSON.stringify(reports))).to.deep.equal(reports);
    for (const bad of ['', '{}', '[{"image":"a"}]', '[{"image":"a","probes":[{"name":"x"}]}]', '[{"image":"a","probes":[],"error":3}]']) {
      expect(parseReports(bad), bad).to.equal(undefined);
    }
  });
});

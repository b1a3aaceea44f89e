/**
 * postroj's reports as GitHub Actions shows them: a markdown job summary (one ✓/✗ table,
 * checks down, images across), `::error` workflow commands for every failure (they become
 * annotations on the run), and `name=value` lines for $GITHUB_OUTPUT. Pure functions of the
 * JSON report, so the action's script and the tests render the same text.
 */
import type { ImageReport } from './report.js';

/** A machine that could not be made is one failed check under this name. */
const START = 'start machine';

export function counts(reports: readonly ImageReport[]): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const r of reports) {
    if (r.error) failed++;
    for (const p of r.probes) p.ok ? passed++ : failed++;
  }
  return { passed, failed };
}

/** `passed=N` and `failed=N`, as $GITHUB_OUTPUT takes them. */
export function outputLines(reports: readonly ImageReport[]): string {
  const { passed, failed } = counts(reports);
  return `passed=${passed}\nfailed=${failed}\n`;
}

/**
 * A table cell: a '|' would end the cell (GFM reads it even inside a code span), a newline the
 * row, and a '<' could open an HTML tag (a check named `echo <b>` must show as written).
 */
function cell(text: string): string {
  return html(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A fence longer than any run of backticks in the text, so evidence can't close it early. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text.trimEnd()}\n${fence}`;
}

function checkNames(reports: readonly ImageReport[]): string[] {
  // A machine that did not start comes first: it is why that column's other rows are empty.
  const names: string[] = reports.some((r) => r.error) ? [START] : [];
  for (const r of reports) for (const p of r.probes) if (!names.includes(p.name)) names.push(p.name);
  return names;
}

function result(r: ImageReport, check: string): string {
  if (check === START) return r.error ? '✗' : '✓';
  const p = r.probes.find((x) => x.name === check);
  // Not run: the machine failed first (or this image was not asked for it).
  return p ? (p.ok ? '✓' : '✗') : '–';
}

/** The job summary: a heading with the totals, the table, then each failure's evidence. */
export function markdownSummary(reports: readonly ImageReport[], title = 'postroj'): string {
  const { passed, failed } = counts(reports);
  const lines = [`### ${failed ? '✗' : '✓'} ${title}: ${passed} passed, ${failed} failed`, ''];
  lines.push(`| check | ${reports.map((r) => cell(r.image)).join(' | ')} |`);
  lines.push(`|---|${reports.map(() => ':---:|').join('')}`);
  for (const check of checkNames(reports)) lines.push(`| ${cell(check)} | ${reports.map((r) => result(r, check)).join(' | ')} |`);
  for (const r of reports) {
    if (r.error) lines.push('', `<details><summary>✗ ${html(r.image)}: ${START}</summary>`, '', fenced(r.error), '', '</details>');
    for (const p of r.probes.filter((x) => !x.ok)) {
      lines.push('', `<details><summary>✗ ${html(r.image)}: ${html(p.name)}</summary>`, '', fenced(p.evidence), '', '</details>');
    }
  }
  return `${lines.join('\n')}\n`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Workflow-command escaping: the message may hold newlines (as %0A); a property also ends at ',' or ':'. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Evidence in an annotation: its last lines, where the reason usually is. */
const ANNOTATION_LINES = 20;

/** One `::error title=…::…` line per failed check (and per machine that could not start). */
export function annotationLines(reports: readonly ImageReport[]): string {
  const lines: string[] = [];
  const error = (title: string, message: string) => {
    const tail = message.trimEnd().split('\n').slice(-ANNOTATION_LINES).join('\n');
    lines.push(`::error title=${escapeProperty(title)}::${escapeData(tail)}`);
  };
  for (const r of reports) {
    if (r.error) error(`postroj ${r.image}: ${START}`, r.error);
    for (const p of r.probes.filter((x) => !x.ok)) error(`postroj ${r.image}: ${p.name}`, p.evidence);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The JSON report postroj wrote (--report-json), checked enough that rendering can't crash on it. */
export function parseReports(text: string): ImageReport[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isProbe = (p: unknown) => {
    const x = p as Record<string, unknown>;
    return typeof x === 'object' && x !== null && typeof x.name === 'string' && typeof x.ok === 'boolean' && typeof x.evidence === 'string';
  };
  const isReport = (r: unknown) => {
    const x = r as Record<string, unknown>;
    return typeof x === 'object' && x !== null && typeof x.image === 'string' && Array.isArray(x.probes) && x.probes.every(isProbe) && (x.error === undefined || typeof x.error === 'string');
  };
  return Array.isArray(data) && data.every(isReport) ? (data as ImageReport[]) : undefined;
}

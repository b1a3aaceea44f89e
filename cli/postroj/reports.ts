/** Writing postroj's reports where the user asked, and the exit code they add up to. */
import { isMember, type Caller } from '../../lib/access/caller.js';
import { junitXml, PLAIN, summaryText, SYMBOLS, type ImageReport } from '../../lib/postroj/report.js';
import { writeFileAtomic } from '../../lib/state/atomic.js';
import { out } from '../common.js';
import path from 'node:path';

/** postroj's documented exit codes. */
export const EXIT_PROBE_FAILED = 1;
export const EXIT_TESTBED = 16;

/** Symbols only on a terminal, and never with NO_COLOR or --no-color. */
function marks(stream: NodeJS.WriteStream, args: { 'no-color'?: boolean }) {
  return stream.isTTY && !args['no-color'] && !process.env.NO_COLOR ? SYMBOLS : PLAIN;
}

export async function writeReports(
  reports: ImageReport[],
  args: { 'report-json'?: string; 'report-junit'?: string; 'no-color'?: boolean },
  jsonOnStdout: boolean,
  /** A member's report files are written with their rights (lib/access/as-caller.ts). */
  caller?: Caller,
): Promise<void> {
  const json = `${JSON.stringify(reports, null, 2)}\n`;
  const junit = junitXml(reports);
  // '-' sends a report to stdout instead of the summary.
  let stdoutTaken = false;
  for (const [file, text] of [
    [args['report-json'], json],
    [args['report-junit'], junit],
  ] as const) {
    if (!file) continue;
    if (file === '-') {
      process.stdout.write(text);
      stdoutTaken = true;
    } else if (isMember(caller)) {
      const { writeAsCaller } = await import('../../lib/access/as-caller.js');
      await writeAsCaller(caller, path.resolve(file), async (w) => void w.write(text));
    } else await writeFileAtomic(file, text);
  }
  if (stdoutTaken) process.stderr.write(summaryText(reports, marks(process.stderr, args)));
  else if (jsonOnStdout) out(json.trimEnd());
  else process.stdout.write(summaryText(reports, marks(process.stdout, args)));
}

/** 16 when the testbed failed (image not pulled, provisioned or booted), 1 when a probe failed. */
export function exitCodeFor(reports: readonly ImageReport[]): number {
  if (reports.some((r) => r.error)) return EXIT_TESTBED;
  return reports.every((r) => r.ok) ? 0 : EXIT_PROBE_FAILED;
}

import type { CommandModule } from 'yargs';
import { out, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  report: string;
  format: 'markdown' | 'annotations' | 'outputs';
  title: string;
}

export const summaryCommand: CommandModule<object, Args> = {
  command: 'summary <report>',
  describe: 'Render a JSON report (--report-json) for GitHub Actions: a markdown job summary, ::error annotations, or passed=/failed= outputs',
  builder: (y) =>
    y
      .positional('report', { type: 'string', demandOption: true, describe: 'The JSON report file (- for stdin)' })
      .option('format', { choices: ['markdown', 'annotations', 'outputs'] as const, default: 'markdown' as const, describe: 'markdown: for $GITHUB_STEP_SUMMARY; annotations: ::error lines; outputs: for $GITHUB_OUTPUT' })
      .option('title', { type: 'string', default: 'postroj', describe: "The markdown summary's heading" }),
  handler: async (args) => {
    const { readFileSync } = await import('node:fs');
    const { UsageError } = await import('../../lib/errors.js');
    const { annotationLines, markdownSummary, outputLines, parseReports } = await import('../../lib/postroj/github.js');
    // Reading a report needs no root: it renders a file, it starts nothing.
    let text: string;
    try {
      text = readFileSync(args.report === '-' ? 0 : args.report, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UsageError(`cannot read ${args.report}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
    const reports = parseReports(text);
    if (!reports) throw new UsageError(`${args.report} is not a postroj JSON report (write one with --report-json)`);
    if (args.format === 'annotations') process.stdout.write(annotationLines(reports));
    else if (args.format === 'outputs') process.stdout.write(outputLines(reports));
    else out(markdownSummary(reports, args.title));
  },
};

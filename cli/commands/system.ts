/** racker system prune: docker's verb for removing what is not in use. */
import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';
import { serviceCommand } from './service.js';

// docker's wording; the prompt goes to stderr here (docker writes it to stdout, but racker's
// stdout is data only).
const WARNING = `WARNING! This will remove:
  - all stopped containers
  - all networks not used by at least one container
  - leftovers of killed racker processes: unused container mounts, scratch directories, stale locks
  - the package cache of postroj probes

Are you sure you want to continue? [y/N] `;

/** One line from stdin; undefined at end of input (docker's bufio.Scanner: EOF is "no"). */
function readLine(): Promise<string | undefined> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let text = '';
    const done = (line: string | undefined) => {
      stdin.removeAllListeners('data').removeAllListeners('end').removeAllListeners('error');
      stdin.destroy();
      resolve(line);
    };
    stdin.setEncoding('utf8');
    stdin.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    });
    stdin.on('end', () => done(text === '' ? undefined : text));
    stdin.on('error', () => done(undefined));
  });
}

const pruneCommand: CommandModule<object, GlobalArgs & { force?: boolean }> = {
  command: 'prune',
  describe: 'Remove all stopped containers, unused networks, unused cached sources (URLs, paths, archives), the package cache, and what killed racker processes left behind',
  builder: (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    if (!args.force) {
      process.stderr.write(WARNING);
      const answer = await readLine();
      // End the prompt's line when the terminal did not (end of input, or an answer piped in).
      if (answer === undefined || !process.stdin.isTTY) process.stderr.write('\n');
      // docker: only y or Y goes ahead; refusing is not an error (exit 0, nothing removed).
      if (answer?.trim().toLowerCase() !== 'y') return;
    }
    const { pruneSystem } = await import('../../lib/container/prune.js');
    const { humanSize } = await import('../../lib/format/human.js');
    const report = await pruneSystem(ctx);
    // docker's layout: a section per kind, a blank line after each, then the total.
    if (report.containers.length) out(['Deleted Containers:', ...report.containers, '', ''].join('\n'));
    if (report.networks.length) out(['Deleted Networks:', ...report.networks, '', ''].join('\n'));
    if (report.sources.length) out(['Deleted cached sources:', ...report.sources, '', ''].join('\n'));
    if (report.leftovers.length) out(['Deleted leftovers of killed racker processes:', ...report.leftovers, '', ''].join('\n'));
    if (report.packageCacheFiles) out(`Deleted package cache: ${report.packageCacheFiles} files\n\n`);
    out(`Total reclaimed space: ${humanSize(report.reclaimed)}`);
  },
};

const dfCommand: CommandModule<object, GlobalArgs & { verbose?: boolean; format?: string }> = {
  command: 'df',
  describe: 'Show racker disk usage: images, containers (what they wrote), local volumes',
  builder: (y) =>
    y
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'Show detailed information on space usage' })
      .option('format', { type: 'string', describe: "Format the output with a Go template ('{{json .}}': one JSON object a kind)" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ dataUsage }, { Engine }, { summaryText, verboseText }] = await Promise.all([import('../../lib/api/df.js'), import('../../lib/api/engine.js'), import('../../lib/system/df.js')]);
    const usage = await dataUsage(new Engine({ ctx, version: '', bootTimeoutSeconds: 0 }));
    if (args.verbose && args.format === undefined) return out(verboseText(usage, ctx.clock().getTime()));
    if (args.verbose) {
      const { renderTemplate } = await import('../../lib/format/template.js');
      return out(renderTemplate(args.format!, usage));
    }
    process.stdout.write(summaryText(usage, args.format));
  },
};

export const systemCommand: CommandModule<object, GlobalArgs> = {
  command: 'system',
  describe: 'Manage racker (system df, system prune, system service)',
  builder: (y) => y.command(dfCommand).command(pruneCommand).command(serviceCommand).demandCommand(1, 'racker system needs a command; see racker system --help'),
  handler: () => undefined,
};

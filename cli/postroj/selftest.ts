import type { CommandModule } from 'yargs';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface Selection {
  images?: string;
  family?: string;
}

type Args = GlobalArgs &
  Selection & {
    jobs: number;
    timeout: number;
    'boot-timeout': number;
    'report-json'?: string;
    'report-junit'?: string;
    format?: string;
    platform?: string;
  };

export const selftestCommand: CommandModule<object, Args> = {
  command: 'selftest',
  describe: 'Probe many images with a fixed set: virtualization, a package installs, its unit starts, its HTTP service answers',
  builder: (y) =>
    y
      .option('images', { type: 'string', describe: 'Comma-separated labels or image references (default: every label)' })
      .option('family', { type: 'string', describe: 'Every label of one package family (apt, dnf, …)' })
      .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'Machines probed at the same time' })
      .option('timeout', { type: 'number', default: 30, describe: 'Seconds each unit/network check may take to pass' })
      .option('boot-timeout', { type: 'number', default: 60, describe: 'Seconds to wait for a machine to boot' })
      .option('report-json', { type: 'string', describe: 'Write a JSON report to this file (- for stdout)' })
      .option('report-junit', { type: 'string', describe: 'Write a JUnit XML report to this file (- for stdout)' })
      .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'What to print on stdout' })
      .option('platform', { type: 'string', describe: 'Probe the images of this platform (e.g. linux/arm64; foreign ones run emulated by qemu-user-static)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { selftest, selectImages } = await import('../../lib/postroj/selftest.js');
    const { exitCodeFor, writeReports } = await import('./reports.js');
    const { withInterrupt } = await import('../interrupt.js');
    const images = selectImages(args.images, args.family);
    const { progress } = await import('../progress.js');
    const live = progress();
    const { value: reports, exitCode } = await withInterrupt((signal) =>
      selftest(ctx, images, {
        jobs: args.jobs,
        timeoutMs: args.timeout * 1000,
        bootTimeoutSeconds: args['boot-timeout'],
        ...(args.platform !== undefined ? { platform: args.platform } : {}),
        status: live.line,
        signal,
      }),
    );
    live.done();
    await writeReports(reports, args, args.format === 'json', ctx.caller);
    // Every probe of every image counts, not the last one.
    process.exitCode = exitCode ?? exitCodeFor(reports);
  },
};

export const matrixCommand: CommandModule<object, GlobalArgs & Selection> = {
  command: 'matrix',
  describe: 'Print the labels as a CI job matrix ({"include":[{"image":…}]})',
  builder: (y) =>
    y
      .option('images', { type: 'string', describe: 'Comma-separated labels (default: every label)' })
      .option('family', { type: 'string', describe: 'Every label of one package family' }),
  handler: async (args) => {
    const { matrix, selectImages } = await import('../../lib/postroj/selftest.js');
    out(JSON.stringify(matrix(selectImages(args.images, args.family))));
  },
};

export const pullLabelsCommand: CommandModule<object, GlobalArgs & { labels?: string[]; all?: boolean; force?: boolean }> = {
  command: 'pull [labels..]',
  describe: 'Pull and provision curated labels (shares racker\'s image store)',
  builder: (y) =>
    y
      .positional('labels', { type: 'string', array: true })
      .option('all', { type: 'boolean', describe: 'Every curated label' })
      .option('force', { type: 'boolean', describe: 'Download and provision again' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { UsageError } = await import('../../lib/errors.js');
    const { LABELS, findLabel } = await import('../../lib/image/labels.js');
    const { pullLabel } = await import('../../lib/image/label-pull.js');
    const names = args.all ? LABELS.map((l) => l.name) : (args.labels ?? []);
    if (!names.length) throw new UsageError('name labels to pull, or --all');
    const labels = names.map((n) => {
      const label = findLabel(n);
      if (!label) throw new UsageError(`unknown label ${n} (see postroj list-images)`);
      return label;
    });
    let failed = 0;
    for (const label of labels) {
      try {
        const r = await pullLabel(ctx, label, { force: Boolean(args.force), status: (l) => process.stderr.write(`${l}\n`) });
        out(`${label.name}: ${r.updated ? 'pulled' : 'up to date'}`);
      } catch (err) {
        failed++;
        out(`${label.name}: failed: ${(err as Error).message}`);
      }
    }
    // Like selftest: the environment could not provide the images.
    if (failed) process.exitCode = 16;
  },
};

import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  image: string;
  package?: string[];
  'check-unit'?: string[];
  'check-network'?: string[];
  'check-command'?: string[];
  'expect-status'?: string;
  'expect-body'?: string;
  'expect-header'?: string[];
  'follow-redirects'?: boolean;
  timeout: number;
  'boot-timeout': number;
  'report-json'?: string;
  'report-junit'?: string;
  format?: string;
  network: 'none' | 'host';
  'keep-on-failure'?: boolean;
  warm?: boolean;
  platform?: string;
}

export const pkgprobeCommand: CommandModule<object, Args> = {
  command: 'pkgprobe',
  describe: 'Install packages in a machine of one image and check units, HTTP/TCP endpoints and commands',
  builder: (y) =>
    y
      .option('image', { type: 'string', demandOption: true, describe: 'A curated label (debian-bookworm, …), an image reference, or a URL, path or archive (see doc/images.md)' })
      .option('package', { type: 'string', array: true, describe: 'A package file, an http(s) URL, or a repository package name (repeatable)' })
      .option('check-unit', { type: 'string', array: true, describe: 'A systemd unit that must be enabled (or static), start, and be active (repeatable)' })
      .option('check-network', { type: 'string', array: true, describe: 'http(s)://… that must answer as expected, or tcp://HOST:PORT that must accept (repeatable)' })
      .option('expect-status', { type: 'string', describe: 'HTTP status: 200, 2xx, 200,302 (default: any 2xx or 3xx)' })
      .option('expect-body', { type: 'string', describe: 'A regular expression the HTTP body must match' })
      .option('expect-header', { type: 'string', array: true, describe: "'Name: regex' an HTTP header must match (repeatable)" })
      .option('follow-redirects', { type: 'boolean', describe: 'Follow HTTP redirects (default: no, so 302 can be asserted)' })
      .option('check-command', { type: 'string', array: true, describe: 'A shell command that must exit 0 inside (repeatable)' })
      .option('timeout', { type: 'number', default: 30, describe: 'Seconds each unit/network check may take to pass' })
      .option('boot-timeout', { type: 'number', default: 60, describe: 'Seconds to wait for the machine to boot' })
      .option('report-json', { type: 'string', describe: 'Write a JSON report to this file' })
      .option('report-junit', { type: 'string', describe: 'Write a JUnit XML report to this file' })
      .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'What to print on stdout' })
      .option('network', { choices: ['none', 'host'] as const, default: 'none' as const, describe: "The machine's network once booted: none (its own namespace, loopback only) or host" })
      .option('keep-on-failure', { type: 'boolean', describe: 'Leave a machine with a failed probe running, to inspect it with racker exec' })
      .option('warm', { type: 'boolean', describe: "Probe on a warm machine of the image's pool (racker pool create IMAGE --network none) when there are no packages; else boot one" })
      .option('platform', { type: 'string', describe: 'The image\'s platform (e.g. linux/arm64; a foreign one runs emulated by qemu-user-static)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { pkgprobe, validateSpec } = await import('../../lib/postroj/pkgprobe.js');
    const { exitCodeFor, writeReports } = await import('./reports.js');
    const spec = {
      packages: args.package ?? [],
      units: args['check-unit'] ?? [],
      network: args['check-network'] ?? [],
      commands: args['check-command'] ?? [],
      http: {
        ...(args['expect-status'] ? { status: args['expect-status'] } : {}),
        ...(args['expect-body'] ? { body: args['expect-body'] } : {}),
        ...(args['expect-header'] ? { headers: args['expect-header'] } : {}),
        followRedirects: Boolean(args['follow-redirects']),
      },
      timeoutMs: args.timeout * 1000,
      bootTimeoutSeconds: args['boot-timeout'],
      machineNetwork: args.network,
      keepOnFailure: Boolean(args['keep-on-failure']),
      warm: Boolean(args.warm),
      ...(args.platform !== undefined ? { platform: args.platform } : {}),
    };
    validateSpec(spec);
    const { withInterrupt } = await import('../interrupt.js');
    const { progress } = await import('../progress.js');
    const live = progress();
    const { value: report, exitCode } = await withInterrupt((signal) => pkgprobe(ctx, args.image, spec, { status: live.line, signal }));
    live.done();
    await writeReports([report], args, args.format === 'json', ctx.caller);
    process.exitCode = exitCode ?? exitCodeFor([report]);
  },
};

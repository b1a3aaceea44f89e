/** racker attach: follow a running container's output until it ends (and feed its open stdin); its exit code is racker's. */
import type { CommandModule } from 'yargs';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, type GlobalArgs } from '../common.js';

type Args = GlobalArgs & { container: string; 'no-stdin'?: boolean; 'sig-proxy': boolean };

export const attachCommand: CommandModule<object, Args> = {
  command: 'attach <container>',
  describe: "Attach to a running container's output (stdout and stderr, from now on) until it ends",
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .option('no-stdin', { type: 'boolean', describe: 'Do not attach STDIN (attached by default to a container started with -i and nobody attached)' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Pass SIGINT and SIGTERM on to the container' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ findContainer }, { attachOutput }, { killContainer }] = await Promise.all([
      import('../../lib/container/record.js'),
      import('../../lib/container/attach.js'),
      import('../../lib/container/control.js'),
    ]);
    const record = await findContainer(ctx.paths, args.container);
    keepRunningWhenStdoutCloses();
    if (args['sig-proxy']) {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void killContainer(ctx, record, sig).catch(() => undefined));
    }
    // Our stdin into the container's open stdin (run -di); it never gets end of file from us, as docker's without StdinOnce.
    const { pipeToOpenStdin } = await import('../../lib/container/open-stdin.js');
    const input = record.config.interactive && !args['no-stdin'] && pipeToOpenStdin(ctx.paths, record.id, process.stdin);
    try {
      process.exitCode = await attachOutput(ctx, record, (e) => void (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.log));
    } finally {
      if (input) process.stdin.destroy();
    }
  },
};

/** racker attach: follow a running container's output until it ends (and feed its open stdin); its exit code is racker's. */
import type { CommandModule } from 'yargs';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, type GlobalArgs } from '../common.js';

type Args = GlobalArgs & { container: string; 'no-stdin'?: boolean; 'sig-proxy': boolean; 'detach-keys'?: string };

export const attachCommand: CommandModule<object, Args> = {
  command: 'attach <container>',
  describe: "Attach to a running container's output (stdout and stderr, from now on) until it ends",
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .option('no-stdin', { type: 'boolean', describe: 'Do not attach STDIN (attached by default to a container started with -i and nobody attached)' })
      .option('detach-keys', { type: 'string', describe: 'Keys that detach from the container and leave it running, read on STDIN (ctrl-<a-z, @, [, \\, ], ^, _>, DEL or single characters, comma-separated; default ctrl-p,ctrl-q)' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Pass SIGINT and SIGTERM on to the container' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ findContainer }, { attachOutput, logEnd }, { killContainer }, { parseDetachKeys, scanForDetach }, { pipeToOpenStdin }] = await Promise.all([
      import('../../lib/container/record.js'),
      import('../../lib/container/attach.js'),
      import('../../lib/container/control.js'),
      import('../../lib/container/detach-keys.js'),
      import('../../lib/container/open-stdin.js'),
    ]);
    const keys = parseDetachKeys(args['detach-keys']);
    const record = await findContainer(ctx, args.container);
    keepRunningWhenStdoutCloses();
    if (args['sig-proxy']) {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void killContainer(ctx, record, sig).catch(() => undefined));
    }
    // Our stdin into the container's open stdin (run -di), watched for the detach keys; it
    // never gets end of file from us, as docker's without StdinOnce. Without an open stdin
    // (started attached elsewhere) what we read only counts for the keys.
    const forward = record.config.interactive && !args['no-stdin'];
    const detach = new AbortController();
    // A terminal container on a terminal: keys go through one by one, ctrl-c and ctrl-q
    // included, as docker attach sets raw mode (the container's terminal does the echoing).
    const raw = forward && record.config.tty && process.stdin.isTTY;
    const from = await logEnd(ctx, record.id);
    if (forward) {
      // Keys are looked for only on a terminal container's input, as docker does.
      const input = record.config.tty ? scanForDetach(process.stdin, keys, { closeOnDetach: true, onDetach: () => detach.abort() }) : process.stdin;
      if (!pipeToOpenStdin(ctx.paths, record.id, input)) input.resume();
      if (raw) process.stdin.setRawMode(true);
    }
    try {
      const code = await attachOutput(ctx, record, (e) => void (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.log), detach.signal, from);
      // Detached: the container keeps running and racker ends with 0, as docker attach.
      process.exitCode = code ?? 0;
    } finally {
      if (raw) process.stdin.setRawMode(false);
      if (forward) process.stdin.destroy();
    }
  },
};

import type { CommandModule, Options } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, missingArguments, type GlobalArgs } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';

export const shellOptions = {
  rm: { type: 'boolean', describe: 'Remove the container when the command exits' },
  reset: { type: 'boolean', describe: 'Remove an existing container first and start afresh' },
  'boot-timeout': { type: 'number', default: 60, describe: 'Seconds to wait for systemd to finish booting' },
} as const satisfies Record<string, Options>;

export const shellValueOptions = valueOptionsOf(shellOptions);

type Args = GlobalArgs & { rm?: boolean; reset?: boolean; 'boot-timeout': number };

export const shellCommand: CommandModule<object, Args> = {
  command: 'shell',
  describe: 'A shell in your own persistent container of IMAGE, with your account and home: racker shell [OPTIONS] IMAGE [COMMAND] [ARG...]',
  builder: (y) =>
    y
      .usage(
        'Usage: racker shell [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n' +
          'Enter a persistent container of IMAGE (one per user and image, created on first use) as the\n' +
          'user who ran sudo: same uid, gid, name and shell, home directory mounted, the current\n' +
          'directory kept when it is under home. Without COMMAND: a login shell. IMAGE needs systemd.',
      )
      .options(shellOptions),
  handler: async (args) => {
    const { target: image, command } = trailing();
    if (!image) throw missingArguments('racker', 'shell', 1);
    keepRunningWhenStdoutCloses();
    const ctx = contextFor(args);
    const { enterShell } = await import('../../lib/container/shell.js');
    process.exitCode = await enterShell(ctx, {
      image,
      // `racker shell IMAGE -- CMD`: the separator is toolbox's habit; it is not part of CMD.
      command: command[0] === '--' ? command.slice(1) : command,
      remove: Boolean(args.rm),
      reset: Boolean(args.reset),
      cwd: process.cwd(),
      tty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      status: (line) => process.stderr.write(`${line}\n`),
      bootTimeoutSeconds: args['boot-timeout'],
    });
  },
};

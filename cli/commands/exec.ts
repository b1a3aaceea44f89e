import type { CommandModule, Options } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, missingArguments, requireTerminalForIt, type GlobalArgs } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';

export const execOptions = {
  interactive: { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' },
  tty: { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  env: { alias: 'e', type: 'string', array: true, describe: 'Set environment variables' },
  'env-file': { type: 'string', array: true, describe: 'Read environment variables from a file' },
  workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  user: { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  detach: { alias: 'd', type: 'boolean', describe: 'Run the command in the background (its output is dropped)' },
} as const satisfies Record<string, Options>;

export const execValueOptions = valueOptionsOf(execOptions);

type Args = GlobalArgs & {
  interactive?: boolean;
  tty?: boolean;
  env?: string[];
  'env-file'?: string[];
  workdir?: string;
  user?: string;
  detach?: boolean;
};

export const execCommand: CommandModule<object, Args> = {
  command: 'exec',
  describe: 'Execute a command in a running container: racker exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  builder: (y) => y.usage('Usage: racker exec [OPTIONS] CONTAINER COMMAND [ARG...]').options(execOptions),
  handler: async (args) => {
    const { target, command } = trailing();
    if (!target || !command.length) throw missingArguments('racker', 'exec', 2);
    // docker: with -d the terminal flags mean nothing (there is no terminal to give).
    if (!args.detach) requireTerminalForIt(args);
    keepRunningWhenStdoutCloses();
    const ctx = contextFor(args);
    const { execIn, execDetached } = await import('../../lib/container/exec-in.js');
    const opts = {
      interactive: Boolean(args.interactive),
      tty: Boolean(args.tty),
      env: args.env ?? [],
      envFiles: args['env-file'] ?? [],
      workdir: args.workdir,
      user: args.user,
    };
    if (args.detach) return execDetached(ctx, target, command, { ...opts, interactive: false, tty: false });
    process.exitCode = await execIn(ctx, target, command, opts);
  },
};

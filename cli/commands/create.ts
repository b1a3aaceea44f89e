/** racker create: run's flags, a container in state `created`, its ID on stdout; `start` runs it. */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, missingArguments, out, type GlobalArgs } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';
import { runOptions } from './run.js';

// -d and --boot-timeout mean nothing here (start runs it, in the background); the rest is run's.
const { detach: _detach, 'boot-timeout': _bootTimeout, ...createOptions } = runOptions;
export const createValueOptions = valueOptionsOf(createOptions);

/** The flags the handler hands on; one that run gains later is refused here until it is added. */
const HANDED_ON = new Set(['interactive', 'tty', 'rm', 'name', 'env', 'env-file', 'workdir', 'user', 'volume', 'hostname', 'entrypoint', 'network', 'publish', 'pull', 'boot', 'no-boot']);

type Args = GlobalArgs & {
  [K in 'name' | 'workdir' | 'user' | 'hostname' | 'entrypoint' | 'network']?: string;
} & {
  [K in 'env' | 'env-file' | 'volume' | 'publish']?: string[];
} & {
  [K in 'interactive' | 'tty' | 'rm' | 'boot' | 'no-boot']?: boolean;
} & { pull?: 'always' | 'missing' | 'never' };

export const createCommand: CommandModule<object, Args> = {
  command: 'create',
  describe: 'Create a new container without starting it (racker start runs it): racker create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  builder: (y) => y.usage('Usage: racker create [OPTIONS] IMAGE [COMMAND] [ARG...]').options(createOptions),
  handler: async (args) => {
    const { target: image, command } = trailing();
    if (!image) throw missingArguments('racker', 'create', 1);
    if (args.boot && args['no-boot']) throw new UsageError('--boot and --no-boot are mutually exclusive');
    const dropped = Object.keys(createOptions).find((k) => !HANDED_ON.has(k) && (args as Record<string, unknown>)[k] !== undefined);
    if (dropped) throw new UsageError(`racker create does not take --${dropped} yet (racker run does)`);
    const ctx = contextFor(args);
    const { createContainer } = await import('../../lib/container/create.js');
    const record = await createContainer(ctx, {
      image,
      args: command,
      name: args.name,
      env: args.env,
      envFiles: args['env-file'],
      workdir: args.workdir,
      user: args.user,
      volumes: args.volume,
      hostname: args.hostname,
      entrypoint: args.entrypoint,
      network: args.network,
      publish: args.publish,
      tty: args.tty,
      interactive: args.interactive,
      autoRemove: args.rm,
      // Started later by `racker start`, in the background: a system container may run just systemd.
      detach: true,
      boot: args.boot ? true : args['no-boot'] ? false : undefined,
      pull: args.pull,
      status: (line) => process.stderr.write(`${line}\n`),
    });
    out(record.id);
  },
};

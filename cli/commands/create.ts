/** racker create: run's flags, a container in state `created`, its ID on stdout; `start` runs it. */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, missingArguments, out } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';
import { containerOptions, runOptions, type RunArgs } from './run.js';

// -d and --boot-timeout mean nothing here (start runs it, in the background); the rest is run's.
const { detach: _detach, 'boot-timeout': _bootTimeout, ...createOptions } = runOptions;
export const createValueOptions = valueOptionsOf(createOptions);

type Args = Omit<RunArgs, 'detach' | 'boot-timeout'>;

export const createCommand: CommandModule<object, Args> = {
  command: 'create',
  describe: 'Create a new container without starting it (racker start runs it): racker create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  builder: (y) => y.usage('Usage: racker create [OPTIONS] IMAGE [COMMAND] [ARG...]').options(createOptions),
  handler: async (args) => {
    const { target: image, command } = trailing();
    if (!image) throw missingArguments('racker', 'create', 1);
    if (args.boot && args['no-boot']) throw new UsageError('--boot and --no-boot are mutually exclusive');
    const ctx = contextFor(args);
    const { createContainer } = await import('../../lib/container/create.js');
    // Started later by `racker start`, in the background: a system container may run just systemd.
    const record = await createContainer(ctx, containerOptions(args, image, command, { detach: true }));
    out(record.id);
  },
};

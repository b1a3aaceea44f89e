/** racker system service: the Docker Engine API on a unix socket, over the same operations as the CLI. */
import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  socket?: string;
  group?: string;
  'boot-timeout': number;
}

export const serviceCommand: CommandModule<object, Args> = {
  command: 'service',
  describe: 'Serve the Docker Engine API on a unix socket (for the docker CLI, dockerode, …)',
  builder: (y) =>
    y
      .usage(
        'Usage: racker system service [OPTIONS]\n\n' +
          'Serve the Docker Engine API (a subset: see doc/engine-api.md) on a unix socket, until\n' +
          'interrupted. Containers it starts outlive it. Use it with e.g.\n' +
          '  DOCKER_HOST=unix:///run/racker/docker.sock docker run --rm IMAGE COMMAND\n\n' +
          'Started by systemd with a socket (socket activation: scripts/systemd/racker.socket), it\n' +
          'serves that socket, whose path, mode and group are the socket unit\'s.',
      )
      .option('socket', { alias: 'H', type: 'string', describe: 'Socket path (default /run/racker/docker.sock; under $RACKER_ROOT/run when set; not used with a socket from systemd)' })
      .option('group', { type: 'string', describe: 'Group allowed to use the socket (mode 0660; default root only)' })
      .option('boot-timeout', { type: 'number', default: 60, describe: 'Seconds to wait for systemd to finish booting a container' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const path = await import('node:path');
    const { serve } = await import('../../lib/api/server.js');
    const { systemdSocket } = await import('../../lib/api/listen.js');
    const { MAX_API_VERSION, MIN_API_VERSION } = await import('../../lib/api/version.js');
    const { version } = await import('../version.js');
    const activated = await systemdSocket(process.env, process.pid);
    const socket = activated?.socket ?? path.resolve(args.socket?.replace(/^unix:\/\//, '') ?? path.join(ctx.paths.run, 'docker.sock'));
    const server = await serve({ ctx, socket, fd: activated?.fd, group: args.group, version, bootTimeoutSeconds: args['boot-timeout'] });
    process.stderr.write(`racker: Engine API ${MIN_API_VERSION}–${MAX_API_VERSION} listening on unix://${socket}${activated ? ' (socket from systemd)' : ''}\n`);
    // Until SIGINT/SIGTERM/SIGHUP; containers keep running under their own supervisors.
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(sig));
    });
    await server.close();
    ctx.log.debug(`Engine API stopped (${signal})`);
  },
};

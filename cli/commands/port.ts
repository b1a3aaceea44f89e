/** racker port CONTAINER [PORT[/PROTO]]: where a container's ports are published. */
import type { CommandModule } from 'yargs';
import { RackerError, UsageError } from '../../lib/errors.js';
import { contextFor, missingArguments, out, type GlobalArgs } from '../common.js';

export const portCommand: CommandModule<object, GlobalArgs & { container?: string; port?: string }> = {
  command: 'port [container] [port]',
  describe: "List port mappings or a specific mapping for the container: racker port CONTAINER [PRIVATE_PORT[/PROTO]]",
  builder: (y) => y.positional('container', { type: 'string' }).positional('port', { type: 'string' }),
  handler: async (args) => {
    if (!args.container) throw missingArguments('racker', 'port', 1);
    const ctx = contextFor(args);
    const { findContainer, liveState } = await import('../../lib/container/record.js');
    const { portLines } = await import('../../lib/net/ports.js');
    const record = await findContainer(ctx, args.container);
    const ports = liveState(record).status === 'running' ? (record.state.endpoint?.ports ?? []) : [];
    let asked: { port: number; protocol: 'tcp' | 'udp' } | undefined;
    if (args.port !== undefined) {
      const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(String(args.port));
      if (!m) throw new UsageError(`invalid port ${String(args.port)}: use PORT or PORT/tcp|udp`);
      asked = { port: Number(m[1]), protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
    }
    const lines = portLines(ports, asked);
    if (asked && !lines.length) throw new RackerError(`no public port '${asked.port}/${asked.protocol}' published for ${record.name}`, { exitCode: 1 });
    if (lines.length) out(lines.join('\n'));
  },
};

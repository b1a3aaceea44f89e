/** racker pause / unpause CONTAINER…: the cgroup freezer (doc/resources.md). */
import type { CommandModule } from 'yargs';
import { contextFor, forEachName, out, type GlobalArgs } from '../common.js';

type Args = GlobalArgs & { containers: string[] };
const containers = { type: 'string', array: true, demandOption: true } as const;

function freezerCommand(verb: 'pause' | 'unpause'): CommandModule<object, Args> {
  return {
    command: `${verb} <containers..>`,
    describe: verb === 'pause' ? 'Pause all processes within one or more containers' : 'Unpause all processes within one or more containers',
    builder: (y) => y.positional('containers', containers),
    handler: async (args) => {
      const ctx = contextFor(args);
      const [{ findContainer }, { pauseContainer, unpauseContainer }] = await Promise.all([import('../../lib/container/record.js'), import('../../lib/container/pause.js')]);
      await forEachName(args.containers, async (name) => {
        const record = await findContainer(ctx, name);
        await (verb === 'pause' ? pauseContainer : unpauseContainer)(ctx, record);
        out(name);
      });
    },
  };
}

export const pauseCommand = freezerCommand('pause');
export const unpauseCommand = freezerCommand('unpause');

/** racker compose ARGS…: docker compose (or docker-compose) against racker's Engine API. */
import type { CommandModule } from 'yargs';
import { contextFor, type GlobalArgs } from '../common.js';
import { trailing } from '../trailing.js';

export const composeCommand: CommandModule<object, GlobalArgs> = {
  command: 'compose',
  describe: "Run docker compose (or docker-compose) against racker: racker compose [COMPOSE ARGS...] (e.g. up -d, ps, logs, down -v)",
  handler: async (args) => {
    const ctx = contextFor(args);
    const { runCompose } = await import('../../lib/compose/compose.js');
    process.exitCode = await runCompose(ctx, trailing().command);
  },
};

#!/usr/bin/env -S node --
/**
 * racker: docker's verbs over systemd-nspawn machines.
 *
 * `node --` in the line above: Node 20 takes a `--env-file` anywhere in its argv as its own
 * (nodejs/node#54232), so `racker run --env-file missing.env` ended in "node: missing.env: not
 * found", exit 9, before racker ran. Node stops looking at `--` (nodejs/node#54237).
 */
import { hideBin } from 'yargs/helpers';
import { rackerCommands, trailingCommands } from './commands/index.js';
import { checkFlags } from './flags.js';
import { checkCommandWord, expandManagementCommand } from './management.js';
import { runProgram } from './program.js';
import { extractTrailing } from './trailing.js';

/** Every word that names a racker command (`images [reference]` → images), and completion. */
const commandWords = new Set(['completion', ...rackerCommands.map((c) => String(c.command).split(' ')[0]!)]);

// Not awaited: the bundle is CommonJS (scripts/bundle.mjs), which has no top-level await;
// guard settles every error into an exit code.
void runProgram(
  {
    name: 'racker',
    usage: "Usage: racker [OPTIONS] COMMAND\n\nRun Linux distributions as systemd-nspawn containers, with docker's habits.",
    commands: rackerCommands,
    usageExitCode: 125,
    prepare: (argv) => {
      const options = extractTrailing(checkCommandWord(expandManagementCommand(argv), commandWords), trailingCommands);
      checkFlags('racker', options, rackerCommands);
      return options;
    },
    argumentCountExitCode: 1,
    clientErrorExitCode: 1,
    daemonExitCommands: ['run', 'create', '__supervise'],
  },
  hideBin(process.argv),
);

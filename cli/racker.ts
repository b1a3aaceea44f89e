#!/usr/bin/env node
/** racker: docker's verbs over systemd-nspawn machines. */
import { hideBin } from 'yargs/helpers';
import { rackerCommands, trailingCommands } from './commands/index.js';
import { runProgram } from './program.js';
import { extractTrailing } from './trailing.js';

await runProgram(
  {
    name: 'racker',
    usage: "Usage: racker [OPTIONS] COMMAND\n\nRun Linux distributions as systemd-nspawn containers, with docker's habits.",
    commands: rackerCommands,
    usageExitCode: 125,
  },
  extractTrailing(hideBin(process.argv), trailingCommands),
);

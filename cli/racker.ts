#!/usr/bin/env node
/** racker: docker's verbs over systemd-nspawn machines. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../lib/errors.js';
import { guard } from './boundary.js';
import { rackerCommands, trailingCommands } from './commands/index.js';
import { extractTrailing } from './trailing.js';
import { version } from './version.js';

await guard('racker', 125, async () => {
  await yargs(extractTrailing(hideBin(process.argv), trailingCommands))
    .scriptName('racker')
    .usage('Usage: racker [OPTIONS] COMMAND\n\nRun Linux distributions as systemd-nspawn containers, with docker\'s habits.')
    .command(rackerCommands)
    .option('debug', { alias: ['D', 'verbose'], type: 'boolean', global: true, describe: 'Print every subprocess and its timing on stderr (or RACKER_DEBUG=1)' })
    .demandCommand(1, 'racker needs a command; see racker --help')
    .recommendCommands()
    // docker's flags include --no-trunc, --no-boot: real flags, not negations of others.
    .parserConfiguration({ 'boolean-negation': false })
    .completion('completion', 'Print a bash/zsh completion script (source it, e.g. in ~/.bashrc)')
    .strict()
    .version(version)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    })
    .parseAsync();
});

/**
 * racker's program (cli/racker.ts runs it with every command): what each of its bundles
 * runs. scripts/bundle.mjs also builds one bundle per command word, whose entry gives this
 * only that command (see cli/bundle-choice.ts): yargs then registers one command, and the
 * start reads and compiles only that command's code.
 */
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkFlags } from './flags.js';
import { checkCommandWord, expandManagementCommand } from './management.js';
import { runProgram } from './program.js';
import { extractTrailing, type ValueOptions } from './trailing.js';

/** whole: all of racker's commands, for help and completion; false in a command's own bundle. */
export function startRacker(commands: CommandModule<any, any>[], trailingCommands: Record<string, ValueOptions>, whole: boolean): void {
  /** Every word that names a racker command (`images [reference]` → images), and completion. */
  const commandWords = new Set(['completion', ...commands.map((c) => String(c.command).split(' ')[0]!)]);
  // Not awaited: the bundle is CommonJS (scripts/bundle.mjs), which has no top-level await;
  // guard settles every error into an exit code.
  void runProgram(
    {
      name: 'racker',
      usage: "Usage: racker [OPTIONS] COMMAND\n\nRun Linux distributions as systemd-nspawn containers, with docker's habits.",
      commands,
      usageExitCode: 125,
      prepare: (argv) => {
        const options = extractTrailing(checkCommandWord(expandManagementCommand(argv), commandWords), trailingCommands);
        checkFlags('racker', options, commands);
        return options;
      },
      argumentCountExitCode: 1,
      clientErrorExitCode: 1,
      daemonExitCommands: ['run', 'create', '__supervise'],
      completion: whole,
    },
    hideBin(process.argv),
  );
}

/** The yargs setup racker and postroj share: flags, conventions, the one error boundary. */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { EXIT_RACKER, FlagError, RackerError, UsageError } from '../lib/errors.js';
import { RefusedForCaller } from '../lib/access/policy.js';
import { guard } from './boundary.js';
import { missingArguments } from './common.js';
import { commandWordIndex, trailing } from './trailing.js';
import { viaService } from './via-service.js';
import { version } from './version.js';

export { viaService } from './via-service.js';

export interface Program {
  name: string;
  usage: string;
  commands: CommandModule<any, any>[];
  /** Exit code for usage errors: docker's 125 for racker, 2 for postroj (a test tool). */
  usageExitCode: number;
  /** Extra global options. */
  extend?: (y: Argv) => Argv;
  /** Rewrites argv before yargs parses it, inside the error boundary (a bad word is one line). */
  prepare?: (argv: string[]) => string[];
  /** Exit code when a command gets too few arguments (docker: 1); else usageExitCode. */
  argumentCountExitCode?: number;
  /**
   * docker's exit code for a command's own failures ("No such container", a refused pull): 1,
   * except for the commands named in daemonExitCommands (run, create: 125, which a container's
   * own exit code can't be). Flag errors keep usageExitCode. Unset: every failure keeps its code.
   */
  clientErrorExitCode?: number;
  daemonExitCommands?: readonly string[];
  /**
   * false: no `completion` command (~1 ms of yargs set-up): a command's own bundle, which
   * completion never runs (cli/bundle-choice.ts). Default true.
   */
  completion?: boolean;
}

export async function runProgram(p: Program, argv: string[]): Promise<void> {
  await guard(p.name, p.usageExitCode, async () => {
    // Not root: the racker service runs the command (lib/client/forward.ts, doc/security.md).
    if (viaService(argv, undefined, p.name)) return (await import('../lib/client/forward.js')).forwardCommand(p.name as 'racker' | 'postroj', argv, p.prepare ? ownWords(argv, p.prepare) : argv.length);
    const prepared = p.prepare ? p.prepare(argv) : argv;
    const command = prepared[commandWordIndex(prepared)];
    // Run by the service for a member of its group: only the commands lib/access/commands.ts allows.
    if (process.env.RACKER_CALLER) {
      const refusal = (await import('../lib/access/commands.js')).commandRefusal(p.name as 'racker' | 'postroj', prepared);
      if (refusal) throw new RefusedForCaller(refusal);
    }
    const y = yargs(prepared)
      .scriptName(p.name)
      .usage(p.usage)
      .command(p.commands)
      .option('debug', { alias: ['D', 'verbose'], type: 'boolean', global: true, describe: 'Print every subprocess and its timing on stderr (or RACKER_DEBUG=1)' });
    const base = p.completion === false ? y : y.completion('completion', 'Print a bash/zsh completion script (source it, e.g. in ~/.bashrc)');
    let flagError = false;
    try {
      await (p.extend ? p.extend(base) : base)
        .demandCommand(1, `${p.name} needs a command; see ${p.name} --help`)
        // docker's flags include --no-trunc, --no-boot: real flags, not negations of others.
        .parserConfiguration({ 'boolean-negation': false })
        .strict()
        .version(version)
        .help()
        .alias('help', 'h')
        .wrap(process.stdout.isTTY ? Math.min(120, process.stdout.columns) : null)
        .fail((msg, err) => {
          if (err) throw err;
          flagError = true;
          // yargs: "Not enough non-option arguments: got 0, need at least 1" for `racker rm`.
          const few = /^Not enough non-option arguments: got \d+, need at least (\d+)$/.exec(msg ?? '');
          if (few && command) {
            const e = missingArguments(p.name, command, Number(few[1]));
            e.exitCode = p.argumentCountExitCode ?? p.usageExitCode;
            throw e;
          }
          // yargs: "Unknown argument: x" for what flags.ts can't see (a value given as `--name -x`).
          const unknownFlag = /^Unknown arguments?: ([^,]+)/.exec(msg ?? '');
          if (unknownFlag && command) throw new UsageError(`unknown flag: ${unknownFlag[1]!.length === 1 ? '-' : '--'}${unknownFlag[1]} (see ${p.name} ${command} --help)`);
          throw new UsageError(msg);
        })
        .parseAsync();
    } catch (err) {
      // Only codes nobody chose (the 125 default) become the client's code.
      const client = p.clientErrorExitCode !== undefined && command !== undefined && !p.daemonExitCommands?.includes(command);
      if (client && !flagError && err instanceof RackerError && !(err instanceof RefusedForCaller) && !(err instanceof FlagError) && err.exitCode === EXIT_RACKER) err.exitCode = p.clientErrorExitCode!;
      throw err;
    }
  });
}

/** How many of argv's words are the program's own, before run's or exec's IMAGE/CONTAINER and command (trailing.ts). */
export function ownWords(argv: readonly string[], prepare: (argv: string[]) => string[]): number {
  prepare([...argv]);
  const { target, command } = trailing();
  return argv.length - (target === undefined ? 0 : 1) - command.length;
}

/**
 * docker's answer to a flag the command does not have: `unknown flag: --x` (exit 125), checked
 * before yargs parses. yargs would take `racker rm --x c1` as x=c1 and then complain that rm got
 * no container, or report "Unknown argument: x" for a flag it parsed with the wrong arity.
 */
import yargs, { type CommandModule } from 'yargs';
import { UsageError } from '../lib/errors.js';
import { commandWordIndex } from './trailing.js';

/** Flags every command has (program.ts adds them globally). */
const GLOBAL = { debug: true, D: true, verbose: true, help: true, h: true, version: true } as const;

interface FlagTable {
  known: Set<string>;
  /** Flags that take a value (the next token, or the rest of a -xVALUE cluster). */
  takesValue: Set<string>;
}

function flagTable(mod: CommandModule<any, any>): FlagTable | undefined {
  const y = yargs([]);
  if (typeof mod.builder === 'function') mod.builder(y);
  else if (mod.builder) y.options(mod.builder);
  // A command with subcommands (system) is left to yargs: its words pick the flags.
  if ((y as any).getInternalMethods().getCommandInstance().getCommands().length > 0) return undefined;
  const o = (y as any).getOptions() as { key: Record<string, boolean>; alias: Record<string, string[]>; boolean: string[] };
  const known = new Set<string>([...Object.keys(o.key), ...Object.values(o.alias).flat(), ...Object.keys(GLOBAL)]);
  const booleans = new Set<string>(o.boolean);
  for (const [name, aliases] of Object.entries(o.alias)) if (booleans.has(name)) for (const a of aliases) booleans.add(a);
  for (const g of Object.keys(GLOBAL)) booleans.add(g);
  return { known, takesValue: new Set([...known].filter((k) => !booleans.has(k))) };
}

function unknown(flag: string, prog: string, command: string): UsageError {
  return new UsageError(`${flag} (see ${prog} ${command} --help)`);
}

/** Throws docker's line for the first flag after the command word that the command lacks. */
export function checkFlags(prog: string, argv: readonly string[], commands: readonly CommandModule<any, any>[]): void {
  if (argv.includes('--get-yargs-completions')) return;
  const i = commandWordIndex(argv);
  const word = argv[i];
  const mod = commands.find((c) => String(c.command).split(' ')[0] === word);
  if (!word || !mod) return;
  const table = flagTable(mod);
  if (!table) return;
  for (let j = i + 1; j < argv.length; j++) {
    const a = argv[j]!;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=', 1)[0]!;
      if (!table.known.has(name)) throw unknown(`unknown flag: --${name}`, prog, word);
      if (!a.includes('=') && table.takesValue.has(name)) j++;
    } else if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k]!;
        if (!table.known.has(c)) throw unknown(`unknown shorthand flag: '${c}' in ${a}`, prog, word);
        if (table.takesValue.has(c)) {
          if (k === a.length - 1) j++;
          break;
        }
      }
    }
  }
}

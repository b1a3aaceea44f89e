/**
 * `racker run [OPTIONS] IMAGE [COMMAND] [ARG...]`: everything after IMAGE belongs to the
 * command (`racker run debian ls -la` must hand -la to ls). yargs can't stop parsing at
 * a command's first positional (yargs#2423), so racker splits argv itself before yargs
 * sees it: yargs parses only the options; the target and the command are kept here.
 */

export interface Trailing {
  /** IMAGE for run, CONTAINER for exec. */
  target?: string;
  command: string[];
}

/** Per command, the options that take a value (so their value is not mistaken for IMAGE). */
export type ValueOptions = ReadonlySet<string>;

/**
 * Split `args` (the tokens after the command word) at the first positional.
 * Returns the option tokens and the trailing part.
 */
export function splitAtFirstPositional(args: readonly string[], takesValue: ValueOptions): { options: string[]; trailing: Trailing } {
  const options: string[] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      options.push(a);
      if (!a.includes('=') && takesValue.has(a.slice(2)) && i + 1 < args.length) options.push(args[++i]!);
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      options.push(a);
      // A cluster like -it or -e=A / -eA: a value option inside takes the rest or the next token.
      for (let j = 1; j < a.length; j++) {
        if (takesValue.has(a[j]!)) {
          if (j === a.length - 1 && i + 1 < args.length) options.push(args[++i]!);
          break;
        }
      }
      i++;
      continue;
    }
    break;
  }
  const [target, ...command] = args.slice(i);
  return { options, trailing: { ...(target !== undefined ? { target } : {}), command } };
}

/** The value-taking options of a yargs options table (names and one-letter aliases). */
export function valueOptionsOf(table: Record<string, { type?: string; alias?: string | readonly string[] }>): Set<string> {
  const names = new Set<string>();
  for (const [name, o] of Object.entries(table)) {
    if (o.type === 'boolean') continue;
    names.add(name);
    for (const alias of [o.alias ?? []].flat()) names.add(alias);
  }
  return names;
}

let current: Trailing | undefined;

/** argv with run/exec's trailing part removed; the part is kept for the handler. */
/** The command word: the first token that is not one of the global flags before it. */
export function commandWordIndex(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i++;
  return i;
}

/** A command whose every word after it belongs to another program (`racker compose up -d`). */
export const PASS_THROUGH: ValueOptions = new Set<string>();

export function extractTrailing(argv: readonly string[], commands: Record<string, ValueOptions>): string[] {
  current = undefined;
  const i = commandWordIndex(argv);
  const word = argv[i];
  const takesValue = word !== undefined ? commands[word] : undefined;
  if (!takesValue) return [...argv];
  if (takesValue === PASS_THROUGH) {
    // `racker top --help` alone is racker's help; anything else belongs to the other program.
    const rest = argv.slice(i + 1);
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) return [...argv];
    current = { command: rest };
    return argv.slice(0, i + 1);
  }
  const { options, trailing } = splitAtFirstPositional(argv.slice(i + 1), takesValue);
  if (options.includes('--help') || options.includes('-h')) return [...argv.slice(0, i + 1), ...options];
  current = trailing;
  return [...argv.slice(0, i + 1), ...options];
}

export function trailing(): Trailing {
  return current ?? { command: [] };
}

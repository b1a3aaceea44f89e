/**
 * Two of yargs's platform pieces, put in its place in the bundles by scripts/bundle.mjs
 * (measured in doc/performance.md, start-up): at every `yargs()` yargs guesses its program's
 * version by walking up from the working directory to a package.json (escalade: a directory
 * listing per level), and when none is found, node:assert builds its AssertionError (loading
 * the module and util.inspect): ~2-3 ms of every start, for a version racker then sets
 * itself (`.version(version)`, cli/program.ts). Nothing else in yargs looks for a package.json
 * (its pkgConf, which racker does not use); the asserts check yargs's own invariants.
 */

/** escalade/sync's place: no package.json is looked for, so yargs's guess is "unknown" and racker's version stands. */
export default function findUp(_dir: string, _match: (dir: string, names: string[]) => string | undefined): string | undefined {
  return undefined;
}

/** node:assert's, for yargs's checks of its own invariants. */
export function notStrictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (actual === expected) throw new Error(message ?? `Expected "actual" to be strictly unequal to: ${String(expected)}`);
}

export function strictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (actual !== expected) throw new Error(message ?? `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`);
}

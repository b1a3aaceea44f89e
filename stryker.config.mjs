// StrykerJS over racker's pure modules (doc/reliability.md, "Mutation score").
// `npm run mutation` (scripts/mutation.mjs) runs it module group by module group, each with the
// unit test files that exercise it: a "static" mutant (a module-level constant such as a regexp
// piece) can only be tested by reloading the modules and running every test in the spec, and with
// all 950 unit tests that is ~15 s a mutant. MUTATION_SPEC (comma-separated test files) narrows the
// spec; without it every unit test runs, as in `npx stryker run --mutate FILE`.
const spec = process.env.MUTATION_SPEC ? process.env.MUTATION_SPEC.split(',') : ['test/unit/**/*.test.ts'];
// Reports by group name, so that two groups can run side by side.
const report = `reports/mutation/${process.env.MUTATION_GROUP ?? 'mutation'}`;

export default {
  testRunner: 'mocha',
  // The unit tests are TypeScript run through tsx, as .mocharc.cjs does; its spec also names the
  // integration tests, hence no-config.
  testRunnerNodeArgs: ['--import', 'tsx'],
  mochaOptions: { 'no-config': true, spec },
  checkers: ['typescript'],
  // scripts/mutation.mjs names a tsconfig of the group's modules and their imports only: checked
  // against the whole project, each mutant of a module many files import (atomic.ts, auth.ts)
  // costs seconds of tsc. Without it, the whole project, as `npm run typecheck`.
  tsconfigFile: process.env.MUTATION_TSCONFIG ?? 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // MUTATION_IGNORE_STATIC=1: leave static mutants out (reported as ignored, not scored) when a
  // group's static mutants would take hours (the reference grammar's regexp pieces).
  ignoreStatic: process.env.MUTATION_IGNORE_STATIC === '1',
  // The machine is shared (2 cores); one test runner is fast enough for a group.
  concurrency: 1,
  // Added to 1.5 × a test's own time: a mutant that loops (a retry delay halved, say) fails fast.
  timeoutMS: 5000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { reportTests: false, logTests: false, allowColor: false },
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  // MUTATION_INCREMENTAL=1: test again only the mutants whose code or covering tests changed.
  // Off by default: static mutants keep their old result (a test added since is not tried on them).
  incremental: process.env.MUTATION_INCREMENTAL === '1',
  incrementalFile: `${report}-incremental.json`,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
  // The whole list; scripts/mutation.mjs passes one group at a time with --mutate.
  mutate: [
    'lib/registry/reference.ts',
    'lib/image/names.ts',
    'lib/image/extract.ts:84-91',
    'lib/image/extract.ts:248-429',
    'lib/image/extract.ts:492-500',
    'lib/image/extract.ts:511-514',
    'lib/image/whiteout.ts',
    'lib/registry/auth.ts',
    'lib/registry/redact-url.ts',
    'lib/exec/run.ts:77-82',
    'lib/state/lock.ts',
    'lib/state/atomic.ts',
    'lib/tools/*.ts',
    'lib/net/argv.ts',
    'lib/api/container-json.ts',
    'lib/api/filters.ts',
    'lib/api/config-volumes.ts',
    'lib/api/images.ts:32-100',
    'lib/api/images.ts:171-189',
  ],
};

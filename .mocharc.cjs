// mocha's configuration. Where the suite is the release gate (CI: RACKER_INTEGRATION=required),
// nothing may be left out silently: a test marked .only, or one that skipped or is pending,
// fails the run (test/helpers/integration.ts's needs() says what was missing).
const gate = process.env.RACKER_INTEGRATION === 'required';

module.exports = {
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
  'node-option': ['import=tsx'],
  reporter: './test/helpers/summary-reporter.cjs',
  // Every integration file's suite leaves nothing behind (test/helpers/leak-check.ts).
  require: ['test/helpers/leak-check.ts'],
  timeout: 120000,
  exit: true,
  'forbid-only': true,
  'forbid-pending': gate,
};

/**
 * Integration tests need root and the real tools. Outside CI they skip with a reason;
 * with RACKER_INTEGRATION=required (CI) a missing prerequisite is a failure instead.
 */
import { execFileSync } from 'node:child_process';

const TOOLS = ['systemd-nspawn', 'skopeo', 'umoci', 'docker-registry', 'mmdebstrap'];

export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of TOOLS) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (run ./scripts/setup.sh)`;
    }
  }
  return undefined;
}

/** Call in a mocha `before(function () { … })`. */
export function requireIntegration(ctx: Mocha.Context): void {
  const missing = missingPrerequisite();
  if (!missing) return;
  if (process.env.RACKER_INTEGRATION === 'required') throw new Error(`integration prerequisites missing: ${missing}`);
  console.log(`      (skipping integration tests: ${missing})`);
  ctx.skip();
}

/**
 * Something one test needs beyond the integration prerequisites (a tool, a client, root).
 * Outside CI the test skips with the reason in its title; in CI (RACKER_INTEGRATION=required)
 * the test fails instead: nothing skips silently where the suite is the release gate.
 */
export function needs(ctx: Mocha.Context, present: boolean, what: string): void {
  if (present) return;
  if (process.env.RACKER_INTEGRATION === 'required') throw new Error(`RACKER_INTEGRATION=required, but ${what} (run ./scripts/setup.sh --with-tests)`);
  if (ctx.test) ctx.test.title += ` (skipped: ${what})`;
  ctx.skip();
}

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

#!/usr/bin/env node
/**
 * npm run build, second step (after tsc has type-checked): bundle cli/racker.ts and
 * cli/postroj.ts with their dependencies into dist/bin/.
 *
 * Why: Node 20 loads an ES module graph file by file (resolve, read, compile, link), and
 * racker's graph is about 85 files (yargs alone is 30). Bundled, an entry point is one file
 * plus the chunks its lazy imports need (~25 for `racker run`), and each command still loads
 * only its own operations (--help none). Measured in doc/performance.md: `racker --version`
 * from 1.78x to 1.46x the time of `node -e 0`.
 */
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist');
const { version } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
// Nothing stale (an older unbundled dist/cli/) may stay beside the bundle.
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: repo,
  entryPoints: { 'bin/racker': 'cli/racker.ts', 'bin/postroj': 'cli/postroj.ts' },
  outdir,
  chunkNames: 'bin/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Some dependencies are CommonJS and require() Node's modules: give the ES chunks a require.
  banner: { js: "import { createRequire as __rackerRequire } from 'node:module'; const require = __rackerRequire(import.meta.url);" },
  // --version without reading package.json at every start (and wherever dist/ is copied to).
  define: { __RACKER_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  legalComments: 'none',
});

for (const bin of ['racker', 'postroj']) chmodSync(path.join(outdir, 'bin', `${bin}.js`), 0o755);

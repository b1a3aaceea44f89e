#!/usr/bin/env node
// `npm run mutation [-- GROUP...]`: StrykerJS (stryker.config.mjs) over the pure modules, one group
// at a time, each with the unit test files that exercise it (MUTATION_SPEC; see the config for
// why). Prints mutants, killed and score per module, keeps each group's reports under
// reports/mutation/, and exits 1 when a module scores under the 80 % target of
// doc/reliability.md ("Mutation score").
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';

const TARGET = 80;
const unit = (...names) => names.map((n) => `test/unit/${n}.test.ts`);

/** group → the modules it mutates and the test files run against them. */
const GROUPS = {
  references: {
    mutate: ['lib/registry/reference.ts', 'lib/image/names.ts'],
    spec: unit('reference', 'names', 'labels', 'fuzz', 'source', 'registry-client'),
  },
  'tar-policy': {
    // extract.ts's policy: the model that admits, refuses or rewrites each entry (TreeModel up to
    // finish(), which applies metadata on disk) and its helpers; whiteout.ts for layers.
    mutate: ['lib/image/extract.ts:84-91', 'lib/image/extract.ts:248-429', 'lib/image/extract.ts:492-500', 'lib/image/extract.ts:511-514', 'lib/image/whiteout.ts'],
    spec: unit('extract', 'image-archive'),
  },
  credentials: {
    mutate: ['lib/registry/auth.ts', 'lib/registry/redact-url.ts', 'lib/exec/run.ts:77-82'],
    spec: unit('auth', 'redact', 'runner', 'source', 'registry-client'),
  },
  state: {
    mutate: ['lib/state/lock.ts', 'lib/state/atomic.ts'],
    spec: unit('lock', 'atomic'),
  },
  argv: {
    mutate: ['lib/tools/*.ts', 'lib/net/argv.ts'],
    spec: unit('build-tools', 'cgroup', 'buildah-layers', 'mmdebstrap', 'platform', 'nspawn-argv', 'tools', 'net', 'tool-argv-exact'),
  },
  api: {
    mutate: ['lib/api/container-json.ts', 'lib/api/filters.ts', 'lib/api/config-volumes.ts', 'lib/api/images.ts:32-100', 'lib/api/images.ts:171-189'],
    spec: unit('api-pure', 'config-volumes', 'api-json'),
  },
};

const chosen = process.argv.slice(2);
for (const g of chosen) {
  if (!(g in GROUPS)) {
    console.error(`unknown group ${g}; groups: ${Object.keys(GROUPS).join(', ')}`);
    process.exit(2);
  }
}

const rows = [];
let failed = false;
mkdirSync('reports/mutation', { recursive: true });
for (const name of chosen.length ? chosen : Object.keys(GROUPS)) {
  const { mutate, spec } = GROUPS[name];
  const started = Date.now();
  // The TypeScript checker's program: this group's modules and what they import (stryker.config.mjs).
  // A type error a mutant would cause only in a module importing it is not seen; such a mutant
  // is run against the tests like any other.
  const tsconfig = `.stryker-tsconfig-${name}.json`;
  writeFileSync(tsconfig, `${JSON.stringify({ extends: './tsconfig.json', include: mutate.map((m) => m.replace(/:\d+-\d+$/, '')) }, null, 2)}\n`);
  const run = spawnSync('npx', ['stryker', 'run', '--mutate', mutate.join(',')], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_SPEC: spec.join(','), MUTATION_GROUP: name, MUTATION_TSCONFIG: tsconfig },
  });
  rmSync(tsconfig, { force: true });
  if (run.status !== 0) {
    console.error(`stryker failed for group ${name} (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const count = (...states) => mutants.filter((m) => states.includes(m.status)).length;
    // Stryker's own score: compile errors and ignored mutants do not count.
    const killed = count('Killed', 'Timeout');
    const valid = killed + count('Survived', 'NoCoverage');
    const score = valid ? (100 * killed) / valid : 100;
    if (score < TARGET) failed = true;
    rows.push({ group: name, file, mutants: valid, killed, ignored: count('Ignored'), score: score.toFixed(1), seconds: Math.round((Date.now() - started) / 1000) });
  }
}

const lines = ['| module | mutants | killed | score |', '|---|---:|---:|---:|'];
for (const r of rows) lines.push(`| ${r.file} | ${r.mutants} | ${r.killed} | ${r.score} %${r.ignored ? ` (${r.ignored} static mutants not run)` : ''} |`);
const table = lines.join('\n');
writeFileSync(`reports/mutation/summary${chosen.length ? `-${chosen.join('-')}` : ''}.md`, `${table}\n`);
console.log(`\n${table}\n`);
console.log(rows.map((r) => `${r.group}: ${r.seconds} s`).filter((v, i, a) => a.indexOf(v) === i).join(', '));
if (failed) {
  console.error(`a module scores under ${TARGET} %`);
  process.exit(1);
}

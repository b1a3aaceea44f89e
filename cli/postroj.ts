#!/usr/bin/env node
/** postroj: probes inside racker's machines (package installs, units, HTTP) across distributions. */
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { listImagesCommand } from './postroj/list-images.js';
import { pkgprobeCommand } from './postroj/pkgprobe.js';
import { matrixCommand, pullLabelsCommand, selftestCommand } from './postroj/selftest.js';
import { summaryCommand } from './postroj/summary.js';
import { runProgram } from './program.js';

/** yargs reads a lone '-' as a positional: `--report-json -` (stdout) becomes `--report-json=-`. */
function dashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (a === '-' && prev !== undefined && /^--report-(json|junit)$/.test(prev)) out[out.length - 1] = `${prev}=-`;
    else out.push(a);
  }
  return out;
}

// Not awaited: the bundle is CommonJS (scripts/bundle.mjs), which has no top-level await.
void runProgram(
  {
    name: 'postroj',
    usage: 'Usage: postroj COMMAND\n\nProbe packages and services inside systemd-nspawn machines.',
    commands: [listImagesCommand, pullLabelsCommand, pkgprobeCommand, selftestCommand, matrixCommand, summaryCommand] as CommandModule<any, any>[],
    // postroj is a test tool: usage errors exit 2 (like most test runners), not docker's 125.
    usageExitCode: 2,
    extend: (y) => y.option('no-color', { type: 'boolean', global: true, describe: 'Plain PASS/FAIL words even on a terminal (also NO_COLOR=1)' }),
  },
  dashValues(hideBin(process.argv)),
);

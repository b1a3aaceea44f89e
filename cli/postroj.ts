#!/usr/bin/env node
/** postroj: probes inside racker's machines (package installs, units, HTTP) across distributions. */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../lib/errors.js';
import { guard } from './boundary.js';
import { listImagesCommand } from './postroj/list-images.js';
import { pkgprobeCommand } from './postroj/pkgprobe.js';
import { matrixCommand, pullLabelsCommand, selftestCommand } from './postroj/selftest.js';
import { version } from './version.js';

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

// postroj is a test tool: usage errors exit 2 (like most test runners), not docker's 125.
await guard('postroj', 2, async () => {
  await yargs(dashValues(hideBin(process.argv)))
    .scriptName('postroj')
    .usage('Usage: postroj COMMAND\n\nProbe packages and services inside systemd-nspawn machines.')
    .command([listImagesCommand, pullLabelsCommand, pkgprobeCommand, selftestCommand, matrixCommand] as CommandModule<any, any>[])
    .option('debug', { alias: ['D', 'verbose'], type: 'boolean', global: true, describe: 'Print every subprocess and its timing on stderr' })
    .option('no-color', { type: 'boolean', global: true, describe: 'Plain PASS/FAIL words even on a terminal (also NO_COLOR=1)' })
    .demandCommand(1, 'postroj needs a command; see postroj --help')
    // docker's flags include --no-trunc, --no-boot: real flags, not negations of others.
    .parserConfiguration({ 'boolean-negation': false })
    .completion('completion', 'Print a bash/zsh completion script (source it, e.g. in ~/.bashrc)')
    .strict()
    .version(version)
    .help()
    .alias('help', 'h')
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    })
    .parseAsync();
});

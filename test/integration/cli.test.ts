import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cli, rackerBin, repoRoot, tempRoot } from '../helpers/cli.js';

// The CLI's conventions; these need no root and no tools.
describe('CLI conventions', () => {
  const root = tempRoot();
  const run = (bin: string, args: string[]) => cli(bin, args, { env: { RACKER_ROOT: root } });
  const postrojBin = path.join(repoRoot, 'dist/bin/postroj.js');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('--version prints the package version', async () => {
    const version = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
    expect((await run(rackerBin, ['--version'])).stdout).to.equal(`${version}\n`);
    expect((await run(postrojBin, ['--version'])).stdout).to.equal(`${version}\n`);
  });

  it('--help lists the docker verbs', async () => {
    const r = await run(rackerBin, ['--help']);
    expect(r.code).to.equal(0);
    for (const verb of ['run', 'exec', 'ps', 'logs', 'stop', 'kill', 'rm', 'wait', 'inspect', 'pull', 'images', 'rmi', 'import', 'login', 'logout']) {
      expect(r.stdout, verb).to.match(new RegExp(`^  racker ${verb}\\b`, 'm'));
    }
    expect(r.stdout).not.to.contain('__supervise');
  });

  it('completion prints a shell completion script', async () => {
    const r = await run(rackerBin, ['completion']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('###-begin-racker-completions-###');
    expect((await run(postrojBin, ['completion'])).stdout).to.contain('###-begin-postroj-completions-###');
  });

  it("an unknown command: docker's line, exit 1; an unknown flag: one line, exit 125 (racker) or 2 (postroj); no stack trace", async () => {
    const a = await run(rackerBin, ['frobnicate']);
    expect({ code: a.code, stdout: a.stdout, stderr: a.stderr }).to.deep.equal({ code: 1, stdout: '', stderr: "racker: 'frobnicate' is not a racker command (see racker --help)\n" });
    // Not a guess at a similar command (yargs offered `start` for `cp`, before racker had cp).
    expect((await run(rackerBin, ['checkpoint', 'a', 'b'])).stderr).to.equal("racker: 'checkpoint' is not a racker command (see racker --help)\n");
    const b = await run(rackerBin, ['images', '--bogus']);
    expect(b.code).to.equal(125);
    expect(b.stderr).to.equal('racker: unknown flag: --bogus (see racker images --help)\n');
    const c = await run(postrojBin, ['selftest', '--jobs', '2', '--bogus']);
    expect(c.code).to.equal(2);
    expect(c.stderr).to.equal('postroj: unknown flag: --bogus (see postroj selftest --help)\n');
  });

  it('doc/reference is generated from the commands and has not drifted', async function () {
    this.timeout(120_000);
    const gen = path.join(repoRoot, 'scripts/gen-reference.mjs');
    const fresh = await cli(gen, ['--check']);
    expect(fresh.stdout).to.equal('reference is up to date\n');
    expect(fresh.code).to.equal(0);
    // The check does fail when a page is missing or different.
    const empty = tempRoot('racker-ref-');
    const stale = await cli(gen, ['--check', '--dir', empty]);
    rmSync(empty, { recursive: true, force: true });
    expect(stale.code).to.equal(1);
    expect(stale.stdout).to.match(/^out of date \(run: node scripts\/gen-reference\.mjs\): racker-run\.md racker-create\.md racker-exec\.md .* README\.md\n$/);
  });

  it("too few arguments: docker's line, exit 1 (run without an image, rm and stop without a container)", async () => {
    const r = await run(rackerBin, ['run', '--rm']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('racker: "racker run" requires at least 1 argument (see racker run --help)\n');
    for (const verb of ['rm', 'stop', 'kill', 'start']) {
      const v = await run(rackerBin, [verb]);
      expect({ code: v.code, stderr: v.stderr }).to.deep.equal({ code: 1, stderr: `racker: "racker ${verb}" requires at least 1 argument (see racker ${verb} --help)\n` });
    }
  });

  it('racker without a command prints its help and exits 0, as docker does', async () => {
    const r = await run(rackerBin, []);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^Usage: racker \[OPTIONS\] COMMAND/);
    expect(r.stderr).to.equal('');
  });
});

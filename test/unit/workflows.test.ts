import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';

// GitHub Actions can't run here: their shape is what the tests can hold them to.
const load = (file: string) => parse(readFileSync(path.join(repoRoot, file), 'utf8'));

describe('GitHub Actions files', () => {
  const action = () => load('action.yml');
  const INPUTS = [
    'mode', 'image', 'images', 'package', 'check-unit', 'check-network', 'check-command', 'expect-status', 'expect-body',
    'expect-header', 'follow-redirects', 'timeout', 'boot-timeout', 'jobs', 'report-junit', 'report-json', 'cache',
  ];

  it('action.yml: a composite action with every pkgprobe and selftest input, defaults as strings, and the reports as outputs', () => {
    const a = action();
    expect(a.runs.using).to.equal('composite');
    expect(Object.keys(a.inputs)).to.deep.equal(INPUTS);
    // The first step checks the inputs, so none is required by GitHub (whose message would name no rule).
    for (const [name, input] of Object.entries(a.inputs) as [string, { required: boolean; default: unknown; description: unknown }][]) {
      expect([name, input.required, typeof input.default, typeof input.description]).to.deep.equal([name, false, 'string', 'string']);
    }
    expect(a.inputs.mode.default).to.equal('probe');
    expect(a.inputs.cache.default).to.equal('true');
    expect(a.outputs).to.deep.equal({
      'report-junit': { description: 'Path of the JUnit report', value: '${{ steps.probe.outputs.report-junit }}' },
      'report-json': { description: 'Path of the JSON report', value: '${{ steps.probe.outputs.report-json }}' },
      passed: { description: 'Number of checks that passed', value: '${{ steps.probe.outputs.passed }}' },
      failed: { description: 'Number of checks that failed (a machine that could not start counts as one)', value: '${{ steps.probe.outputs.failed }}' },
      'exit-code': { description: "postroj's exit status: 0 all passed, 1 a check failed, 2 bad usage, 16 the testbed failed", value: '${{ steps.probe.outputs.exit-code }}' },
      'cache-hit': { description: 'Whether the image store was restored from the cache', value: '${{ steps.restore.outputs.cache-hit }}' },
    });
  });

  it('action.yml: inputs first checked, then setup, the cache restored, images pulled, exported and saved, then the probe', () => {
    const steps = action().runs.steps as { name: string; id?: string; uses?: string; run?: string; if?: string }[];
    expect(steps.map((s) => [s.name, s.id ?? '', s.uses ?? s.run, s.if ?? ''])).to.deep.equal([
      ['Check inputs', 'inputs', '"$GITHUB_ACTION_PATH/scripts/action/inputs.sh"', ''],
      ['Set up racker and postroj', '', '"$GITHUB_ACTION_PATH/scripts/action/setup.sh"', ''],
      ['Restore images', 'restore', 'actions/cache/restore@v4', "steps.inputs.outputs.cache == 'true'"],
      ['Import images', '', '"$GITHUB_ACTION_PATH/scripts/action/cache.sh" import', "steps.restore.outputs.cache-hit == 'true'"],
      ['Pull images', '', '"$GITHUB_ACTION_PATH/scripts/action/pull.sh"', ''],
      ['Export images', '', '"$GITHUB_ACTION_PATH/scripts/action/cache.sh" export', "steps.inputs.outputs.cache == 'true' && steps.restore.outputs.cache-hit != 'true'"],
      ['Save images', '', 'actions/cache/save@v4', "steps.inputs.outputs.cache == 'true' && steps.restore.outputs.cache-hit != 'true'"],
      ['Probe', 'probe', '"$GITHUB_ACTION_PATH/scripts/action/probe.sh"', ''],
    ]);
  });

  it('action.yml: inputs reach the scripts only as environment variables, never inside shell code', () => {
    const steps = action().runs.steps as { run?: string; env?: Record<string, string>; with?: Record<string, string>; if?: string }[];
    for (const step of steps) {
      // A run: line is fixed text: no expression at all, so no input can become shell code.
      if (step.run) expect(step.run).not.to.contain('${{');
      for (const value of Object.values(step.with ?? {})) expect(value).not.to.match(/(?<![.\w])inputs\./);
      expect(step.if ?? '').not.to.match(/(?<![.\w])inputs\./);
    }
    // Every input reaches the scripts (the first step and the probe), each as its own variable.
    const asEnv = Object.fromEntries(INPUTS.map((i) => [i.toUpperCase().replace(/-/g, '_'), `\${{ inputs.${i} }}`]));
    expect(steps[0]!.env).to.deep.equal(asEnv);
    expect(steps.at(-1)!.env).to.deep.equal({ ...asEnv, IMAGES: '${{ steps.inputs.outputs.images }}' });
    // The whole file: an inputs expression appears only as an env value.
    const text = readFileSync(path.join(repoRoot, 'action.yml'), 'utf8');
    for (const line of text.split('\n').filter((l) => /\$\{\{ inputs\./.test(l))) {
      expect(line, line).to.match(/^ {8}[A-Z_]+: \$\{\{ inputs\.[a-z-]+ \}\}$/);
    }
  });

  it('action.yml: every script a step runs exists, is executable, and re-runs itself under sudo when not root', () => {
    for (const script of ['inputs.sh', 'setup.sh', 'cache.sh', 'pull.sh', 'probe.sh']) {
      const file = path.join(repoRoot, 'scripts/action', script);
      expect(statSync(file).mode & 0o111, script).to.equal(0o111);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), script).to.equal(true);
      expect(text, script).to.contain('set -euo pipefail');
      // inputs.sh runs before setup and needs no root; the others source as-root.sh.
      if (script !== 'inputs.sh') expect(text, script).to.match(/^\. "\$(here|\(dirname "\$0"\))\/as-root\.sh"$/m);
    }
    expect(readFileSync(path.join(repoRoot, 'scripts/action/as-root.sh'), 'utf8')).to.contain('exec sudo -E env "PATH=$PATH" bash "$0" "$@"');
  });

  it('the CI workflow runs the README commands', () => {
    const wf = load('.github/workflows/ci.yml');
    const runs = wf.jobs.test.steps.map((s: { run?: string }) => s.run).filter(Boolean);
    expect(runs).to.deep.equal(['sudo ./scripts/setup.sh --with-tests', 'sudo env "PATH=$PATH" RACKER_INTEGRATION=required npm test']);
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme).to.contain('./scripts/setup.sh --with-tests');
    // .ci/run runs the README's commands.
    expect(readFileSync(path.join(repoRoot, '.ci/run'), 'utf8')).to.contain('./scripts/setup.sh --with-tests');
    expect(readme).to.contain('npm test');
  });

  it('the example workflow fans out over postroj matrix and uploads JUnit reports', () => {
    const wf = load('doc/examples/postroj-matrix.yml');
    expect(wf.jobs.matrix.steps.map((s: { run?: string }) => s.run).filter(Boolean)).to.include('echo "images=$(postroj matrix --family apt)" >> "$GITHUB_OUTPUT"');
    expect(wf.jobs.probe.strategy.matrix).to.equal('${{ fromJSON(needs.matrix.outputs.images) }}');
    const probe = wf.jobs.probe.steps.find((s: { id?: string }) => s.id === 'probe');
    expect(Object.keys(probe.with).every((k) => Object.keys(load('action.yml').inputs).includes(k))).to.equal(true);
    expect(wf.jobs.probe.steps.at(-1).uses).to.equal('actions/upload-artifact@v4');
    // The outputs it reads are the action's.
    expect(wf.jobs.probe.steps.at(-1).with.path).to.equal('${{ steps.probe.outputs.report-junit }}');
    expect(Object.keys(load('action.yml').outputs)).to.include('report-junit');
  });

  it('the labels workflow: weekly and by hand, one job per label from postroj matrix, each proving its label with the action and keeping its reports', () => {
    const wf = load('.github/workflows/labels.yml');
    expect(Object.keys(wf.on)).to.deep.equal(['schedule', 'workflow_dispatch']);
    expect(wf.on.schedule).to.deep.equal([{ cron: '17 4 * * 1' }]);
    expect(wf.on.workflow_dispatch.inputs.images).to.include({ required: false, default: '', type: 'string' });
    expect(wf.permissions).to.deep.equal({ contents: 'read' });
    // The matrix: built here, listed by the script (tested on its own in the integration suite).
    const steps = (job: string) => wf.jobs[job].steps.map((s: { name?: string; uses?: string; run?: string }) => s.uses ?? s.run);
    expect(steps('matrix')).to.deep.equal(['actions/checkout@v4', 'actions/setup-node@v4', 'npm ci && npm run build', 'scripts/ci/labels-matrix.sh']);
    expect(wf.jobs.matrix.steps[3].env).to.deep.equal({ IMAGES: '${{ inputs.images }}' });
    expect(wf.jobs.matrix.outputs).to.deep.equal({ labels: '${{ steps.labels.outputs.labels }}' });
    // One job per label, none cancelled by another's failure.
    const label = wf.jobs.label;
    expect(label.needs).to.equal('matrix');
    expect(label.name).to.equal('${{ matrix.image }}');
    expect(label.strategy).to.deep.equal({ 'fail-fast': false, 'max-parallel': 8, matrix: '${{ fromJSON(needs.matrix.outputs.labels) }}' });
    expect(steps('label')).to.deep.equal(['actions/checkout@v4', 'actions/setup-node@v4', './', 'actions/upload-artifact@v4']);
    // The action itself (this repository's), in selftest mode on the one label, from a fresh pull.
    const probe = label.steps[2];
    expect(probe.with).to.deep.equal({
      mode: 'selftest', images: '${{ matrix.image }}', cache: 'false', 'boot-timeout': '180', timeout: '120',
      'report-junit': 'labels-${{ matrix.image }}.xml', 'report-json': 'labels-${{ matrix.image }}.json',
    });
    expect(Object.keys(probe.with).filter((k) => !(k in action().inputs))).to.deep.equal([]);
    // The reports are kept whatever happened, under the label's name.
    const keep = label.steps[3];
    expect(keep.if).to.equal('always()');
    expect(keep.with.name).to.equal('labels-${{ matrix.image }}');
    expect(keep.with.path.trim().split('\n')).to.deep.equal([probe.with['report-junit'], probe.with['report-json']]);
    // No expression inside shell code.
    for (const job of Object.values(wf.jobs) as { steps: { run?: string }[] }[]) for (const s of job.steps) expect(s.run ?? '').not.to.contain('${{');
    const script = path.join(repoRoot, 'scripts/ci/labels-matrix.sh');
    expect(statSync(script).mode & 0o111).to.equal(0o111);
    expect(readFileSync(script, 'utf8')).to.contain('set -euo pipefail');
  });

  it("doc/github-actions.md: its workflows use only the action's inputs and outputs, and keep the reports", () => {
    const doc = readFileSync(path.join(repoRoot, 'doc/github-actions.md'), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).to.have.length(2);
    const a = action();
    const workflow = parse(blocks[0]!);
    const steps = workflow.jobs.probe.steps as { uses?: string; id?: string; with?: Record<string, string> }[];
    const probe = steps.find((s) => s.uses === 'OWNER/racker@v1')!;
    expect(Object.keys(probe.with!).filter((k) => !(k in a.inputs))).to.deep.equal([]);
    const upload = steps.at(-1)!;
    expect(upload.uses).to.equal('actions/upload-artifact@v4');
    const outputs = [...upload.with!.path!.matchAll(/steps\.probe\.outputs\.([\w-]+)/g)].map((m) => m[1]);
    expect(outputs).to.deep.equal(['report-junit', 'report-json']);
    expect(outputs.every((o) => o! in a.outputs)).to.equal(true);
    // The second block is a step: mode selftest with its own inputs.
    const selftest = parse(blocks[1]!)[0];
    expect(selftest.with).to.deep.equal({ mode: 'selftest', images: 'debian-bookworm, debian-trixie, ubuntu-noble', jobs: '2' });
  });
});

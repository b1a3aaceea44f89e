import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';

// GitHub Actions can't run here: their shape is what the tests can hold them to.
const load = (file: string) => parse(readFileSync(path.join(repoRoot, file), 'utf8'));

describe('GitHub Actions files', () => {
  it('action.yml is a composite action with the documented inputs and a report output', () => {
    const action = load('action.yml');
    expect(action.runs.using).to.equal('composite');
    expect(Object.keys(action.inputs)).to.deep.equal(['image', 'package', 'check-unit', 'check-network', 'report-junit']);
    expect(action.inputs.image.required).to.equal(true);
    expect(action.outputs.report.value).to.equal('${{ steps.probe.outputs.report }}');
    for (const step of action.runs.steps) expect(step.shell, step.name).to.equal('bash');
    // The setup step runs a script that exists in this repository.
    const setup = action.runs.steps[0].run as string;
    expect(setup).to.equal('sudo "$GITHUB_ACTION_PATH/scripts/setup.sh"');
    expect(existsSync(path.join(repoRoot, 'scripts/setup.sh'))).to.equal(true);
    expect(action.runs.steps[1].id).to.equal('probe');
    expect(action.runs.steps[1].run).to.contain('sudo postroj "${args[@]}"');
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
  });
});

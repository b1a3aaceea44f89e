/**
 * The labels workflow (.github/workflows/labels.yml) can't run here: its shape is held by
 * test/unit/workflows.test.ts, and the one script of its own it runs, run here for real
 * against the built postroj.
 */
import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LABELS } from '../../lib/image/labels.js';
import { spawnSync } from 'node:child_process';
import { repoRoot, tempRoot } from '../helpers/cli.js';

describe('labels workflow: scripts/ci/labels-matrix.sh', () => {
  let dir: string;
  let output: string;
  // As the workflow's step runs it: the script itself (its shebang, its mode), the inputs in the environment.
  const run = (images: string) => {
    const r = spawnSync(path.join(repoRoot, 'scripts/ci/labels-matrix.sh'), [], { env: { PATH: process.env.PATH, IMAGES: images, GITHUB_OUTPUT: output }, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeEach(() => {
    dir = tempRoot('racker-labels-wf-');
    output = path.join(dir, 'output');
    writeFileSync(output, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the labels asked for, as the job matrix the label job fans out over', () => {
    const r = run('fedora-bootc-44,debian-bookworm');
    expect([r.code, r.stderr]).to.deep.equal([0, '']);
    const matrix = {
      include: [
        { image: 'fedora-bootc-44', family: 'dnf', source: 'quay.io/fedora/fedora-bootc:44' },
        { image: 'debian-bookworm', family: 'apt', source: 'docker.io/library/debian:bookworm' },
      ],
    };
    expect(readFileSync(output, 'utf8')).to.equal(`labels=${JSON.stringify(matrix)}\n`);
  });

  it('no labels asked for: every label, one job each', () => {
    const r = run('');
    expect(r.code).to.equal(0);
    const line = readFileSync(output, 'utf8');
    expect(line.startsWith('labels=')).to.equal(true);
    const images = JSON.parse(line.slice('labels='.length)).include.map((j: { image: string }) => j.image);
    expect(images).to.deep.equal(LABELS.map((l) => l.name));
  });

  it("an unknown label stops the run before any job: postroj's line, its exit status, no matrix", () => {
    const r = run('debian-bookworm,debian-woody');
    expect([r.code, r.stdout, r.stderr.trim()]).to.deep.equal([2, '', 'postroj: unknown label debian-woody (see postroj list-images)']);
    expect(readFileSync(output, 'utf8')).to.equal('');
  });
});

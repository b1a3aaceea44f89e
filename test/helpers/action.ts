/**
 * A stand-in for GitHub's runner, just enough to run action.yml's composite steps here as
 * GitHub would: inputs (with their defaults) and step outputs substituted into `env:` and
 * `with:`, `if:` conditions, `run:` scripts under `bash --noprofile --norc -eo pipefail`
 * with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH and RUNNER_TEMP, and the
 * cache actions against a directory. An expression or action it does not know is an error,
 * so action.yml can't grow something this does not check.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './cli.js';

interface Step {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  run?: string;
  shell?: string;
}

export interface StepRun {
  name: string;
  status: 'success' | 'failure' | 'skipped';
  code?: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface ActionRun {
  ok: boolean;
  steps: StepRun[];
  /** The action's outputs (action.yml `outputs:`), as a caller's steps.X.outputs sees them. */
  outputs: Record<string, string>;
  /** The job summary: every step's $GITHUB_STEP_SUMMARY, in order. */
  summary: string;
}

export interface RunnerOptions {
  inputs: Record<string, string>;
  /** The job's environment (RACKER_ROOT, PATH, …), on top of this process's. */
  env: Record<string, string>;
  /** The job's working directory ($GITHUB_WORKSPACE). */
  workspace: string;
  runnerTemp: string;
  /** Where the cache service keeps entries: one directory per key. */
  cacheStore: string;
}

export function loadAction(): { inputs: Record<string, { default?: string }>; outputs: Record<string, { value: string }>; runs: { steps: Step[] } } {
  return parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8'));
}

export async function runAction(opts: RunnerOptions): Promise<ActionRun> {
  const action = loadAction();
  for (const k of Object.keys(opts.inputs)) if (!(k in action.inputs)) throw new Error(`action.yml has no input ${k}`);
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, opts.inputs[k] ?? v.default ?? '']));
  const stepOutputs: Record<string, Record<string, string>> = {};
  const lookup = (expr: string): string => {
    const e = expr.trim();
    let m: RegExpExecArray | null;
    if ((m = /^inputs\.([\w-]+)$/.exec(e))) return inputs[m[1]!] ?? '';
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return stepOutputs[m[1]!]?.[m[2]!] ?? '';
    if (e === 'runner.temp') return opts.runnerTemp;
    throw new Error(`the test runner does not know the expression \${{ ${e} }}`);
  };
  const substitute = (text: string) => text.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => lookup(e));
  const condition = (text: string): boolean =>
    text.split('&&').every((clause) => {
      const m = /^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$/.exec(clause);
      if (!m) throw new Error(`the test runner does not know the condition ${JSON.stringify(clause)}`);
      return (lookup(m[1]!) === m[3]) === (m[2] === '==');
    });

  const steps: StepRun[] = [];
  const summaries: string[] = [];
  let failed = false;
  for (const step of action.runs.steps) {
    if (failed || (step.if !== undefined && !condition(step.if))) {
      steps.push({ name: step.name, status: 'skipped', stdout: '', stderr: '', ms: 0 });
      continue;
    }
    const started = performance.now();
    let run: Omit<StepRun, 'ms'>;
    let outputs: Record<string, string> = {};
    if (step.uses) {
      const withs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v))]));
      ({ run, outputs } = useCache(step, withs, opts.cacheStore));
    } else {
      if (step.shell !== 'bash') throw new Error(`step ${step.name}: shell must be bash`);
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v))]));
      const files = mkdtempSync(path.join(opts.runnerTemp, 'step-'));
      const [output, summary, script] = ['output', 'summary', 'script.sh'].map((f) => path.join(files, f)) as [string, string, string];
      writeFileSync(output, '');
      writeFileSync(summary, '');
      // GitHub writes the run: text to a file and runs it so; expressions in it would be substituted first.
      writeFileSync(script, substitute(step.run!));
      const env = {
        ...process.env,
        ...opts.env,
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTION_PATH: repoRoot,
        GITHUB_WORKSPACE: opts.workspace,
        RUNNER_TEMP: opts.runnerTemp,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        ...stepEnv,
      };
      const r = await bash(script, env, opts.workspace);
      outputs = parseOutputFile(readFileSync(output, 'utf8'));
      summaries.push(readFileSync(summary, 'utf8'));
      rmSync(files, { recursive: true, force: true });
      run = { name: step.name, status: r.code === 0 ? 'success' : 'failure', code: r.code, stdout: r.stdout, stderr: r.stderr };
    }
    steps.push({ ...run, ms: Math.round(performance.now() - started) });
    if (step.id) stepOutputs[step.id] = outputs;
    if (run.status === 'failure') failed = true;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, substitute(v.value)]));
  return { ok: !failed, steps, outputs, summary: summaries.join('') };
}

/** actions/cache/restore and save, with a directory per key standing in for GitHub's cache service. */
function useCache(step: Step, withs: Record<string, string>, store: string): { run: Omit<StepRun, 'ms'>; outputs: Record<string, string> } {
  const entry = path.join(store, withs.key!);
  const ok = (stdout: string) => ({ name: step.name, status: 'success' as const, code: 0, stdout, stderr: '' });
  if (!withs.key || !withs.path) throw new Error(`step ${step.name}: the cache needs key and path`);
  if (step.uses === 'actions/cache/restore@v4') {
    if (!existsSync(entry)) return { run: ok(`Cache not found for input keys: ${withs.key}`), outputs: { 'cache-hit': 'false' } };
    // Hard links: as good as a copy for what reads it, and free, so the figures measure racker, not this stand-in.
    copyTree(entry, withs.path);
    return { run: ok(`Cache restored from key: ${withs.key}`), outputs: { 'cache-hit': 'true', 'cache-matched-key': withs.key } };
  }
  if (step.uses === 'actions/cache/save@v4') {
    // Entries are immutable: GitHub refuses to save a key that exists.
    if (existsSync(entry)) return { run: ok(`Failed to save: cache entry with the key ${withs.key} exists`), outputs: {} };
    mkdirSync(store, { recursive: true });
    copyTree(withs.path, entry);
    return { run: ok(`Cache saved with key: ${withs.key}`), outputs: {} };
  }
  throw new Error(`the test runner does not know the action ${step.uses}`);
}

function copyTree(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  execFileSync('cp', ['-al', from, to]);
}

/** name=value lines, and name<<DELIMITER … DELIMITER blocks for multi-line values. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([\w-]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

function bash(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

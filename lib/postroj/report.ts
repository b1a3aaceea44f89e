/** Probe reports: a text summary for people, JSON for programs, JUnit XML for CI systems. */
import type { ProbeResult } from '../../probes/types.js';

export interface ImageReport {
  image: string;
  ok: boolean;
  durationMs: number;
  probes: ProbeResult[];
  /** Set when the machine itself could not be pulled, provisioned or booted (the testbed failed). */
  error?: string;
  /** With --keep-on-failure: the container left running. */
  kept?: string;
}

/** ✓/✗ for a terminal; plain PASS/FAIL words for logs and pipes. */
export interface Marks {
  pass: string;
  fail: string;
  ok: string;
  bad: string;
}

export const PLAIN: Marks = { pass: 'PASS', fail: 'FAIL', ok: 'ok  ', bad: 'FAIL' };
export const SYMBOLS: Marks = { pass: '✓', fail: '✗', ok: '✓', bad: '✗' };

export function summaryText(reports: readonly ImageReport[], marks: Marks = PLAIN): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.ok ? marks.pass : marks.fail} ${r.image} (${(r.durationMs / 1000).toFixed(1)} s)`);
    if (r.error) lines.push(`  error: ${r.error}`);
    if (r.kept) lines.push(`  kept running for inspection: racker exec -it ${r.kept} bash   (remove with: racker rm -f ${r.kept})`);
    for (const p of r.probes) {
      lines.push(`  ${p.ok ? marks.ok : marks.bad} ${p.name} (${(p.durationMs / 1000).toFixed(1)} s)`);
      if (!p.ok) lines.push(...p.evidence.split('\n').map((l) => `       ${l}`));
    }
  }
  const failed = reports.reduce((n, r) => n + r.probes.filter((p) => !p.ok).length + (r.error ? 1 : 0), 0);
  const passed = reports.reduce((n, r) => n + r.probes.filter((p) => p.ok).length, 0);
  lines.push(`${passed} passed, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** One testsuite per image, one testcase per probe (a failed start is a failed testcase). */
export function junitXml(reports: readonly ImageReport[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = reports.reduce((n, r) => n + r.probes.length + (r.error ? 1 : 0), 0);
  const failures = reports.reduce((n, r) => n + r.probes.filter((p) => !p.ok).length + (r.error ? 1 : 0), 0);
  out.push(`<testsuites name="postroj" tests="${total}" failures="${failures}">`);
  for (const r of reports) {
    const cases = r.probes.length + (r.error ? 1 : 0);
    const fails = r.probes.filter((p) => !p.ok).length + (r.error ? 1 : 0);
    out.push(`  <testsuite name="${xml(r.image)}" tests="${cases}" failures="${fails}" time="${(r.durationMs / 1000).toFixed(3)}">`);
    if (r.error) out.push(`    <testcase classname="${xml(r.image)}" name="start machine" time="0"><failure message="${xml(r.error)}"/></testcase>`);
    for (const p of r.probes) {
      const head = `    <testcase classname="${xml(r.image)}" name="${xml(p.name)}" time="${(p.durationMs / 1000).toFixed(3)}"`;
      if (p.ok) out.push(`${head}/>`);
      else out.push(`${head}><failure message="${xml(p.evidence.split('\n')[0] ?? '')}">${xml(p.evidence)}</failure></testcase>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/**
 * postroj's checks, each a wait strategy in the manner of testcontainers: given a running
 * machine and a spec, wait (bounded) for the condition and say what was seen.
 */
import type { Captured } from '../lib/container/exec-in.js';

export interface ProbeResult {
  /** e.g. "package nginx", "unit nginx", "http http://localhost/". */
  name: string;
  ok: boolean;
  durationMs: number;
  /** What was observed: on failure, enough to see why without rerunning. */
  evidence: string;
}

/** The machine a probe works on: commands inside it, and files into it. */
export interface ProbeMachine {
  /** The package family (apt, dnf, …) of the machine's distribution. */
  family: import('../lib/image/labels.js').PackageFamily;
  exec(command: string[], env?: string[]): Promise<Captured>;
  /** Copy a host file into the machine; returns its path inside. */
  copyIn(hostPath: string, name: string): Promise<string>;
}

export async function timed(name: string, check: () => Promise<{ ok: boolean; evidence: string }>): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const { ok, evidence } = await check();
    return { name, ok, durationMs: Math.round(performance.now() - started), evidence };
  } catch (err) {
    return { name, ok: false, durationMs: Math.round(performance.now() - started), evidence: err instanceof Error ? err.message : String(err) };
  }
}

/** Output for a report: the last lines, which is where the reason usually is. */
export function lastLines(text: string, n = 30): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

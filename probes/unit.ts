/**
 * --check-unit UNIT: enabled (or can be: static units can't), started, and active.
 * On failure the evidence is `systemctl status` and the unit's last journal lines.
 */
import { lastLines, timed, type ProbeMachine, type ProbeResult } from './types.js';

export function unitProbe(machine: ProbeMachine, unit: string, timeoutMs: number): Promise<ProbeResult> {
  return timed(`unit ${unit}`, async () => {
    const steps: string[] = [];
    const enable = await machine.exec(['systemctl', 'enable', unit]);
    // "static" and "indirect" units have nothing to enable; that is not a failure.
    const state = (await machine.exec(['systemctl', 'is-enabled', unit])).stdout.trim();
    steps.push(`is-enabled: ${state || enable.stderr.trim()}`);
    if (!['enabled', 'static', 'indirect', 'alias', 'generated', 'enabled-runtime'].includes(state)) {
      return { ok: false, evidence: `${steps.join('\n')}\n${await diagnose(machine, unit)}` };
    }
    const start = await machine.exec(['systemctl', 'start', unit]);
    if (start.exitCode !== 0) return { ok: false, evidence: `systemctl start ${unit}: exit ${start.exitCode}\n${await diagnose(machine, unit)}` };
    // A unit may be "activating" for a while; wait for it, bounded.
    const deadline = Date.now() + timeoutMs;
    let active = '';
    for (;;) {
      active = (await machine.exec(['systemctl', 'is-active', unit])).stdout.trim();
      if (active === 'active' || active === 'failed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    steps.push(`is-active: ${active}`);
    if (active !== 'active') return { ok: false, evidence: `${steps.join('\n')}\n${await diagnose(machine, unit)}` };
    return { ok: true, evidence: steps.join('\n') };
  });
}

async function diagnose(machine: ProbeMachine, unit: string): Promise<string> {
  const status = await machine.exec(['systemctl', 'status', '--no-pager', '--lines=0', unit]);
  const journal = await machine.exec(['journalctl', '--no-pager', '--unit', unit, '--lines=30']);
  return `${lastLines(status.stdout + status.stderr, 15)}\n--- journal ---\n${lastLines(journal.stdout + journal.stderr)}`;
}

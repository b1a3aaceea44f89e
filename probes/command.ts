/** --check-command 'CMD': exits 0 inside the machine (run by sh -c, as the user wrote it). */
import { lastLines, timed, type ProbeMachine, type ProbeResult } from './types.js';

export function commandProbe(machine: ProbeMachine, command: string): Promise<ProbeResult> {
  return timed(`command ${command}`, async () => {
    const r = await machine.exec(['sh', '-c', command]);
    const output = lastLines(`${r.stdout}${r.stderr}`);
    return { ok: r.exitCode === 0, evidence: r.exitCode === 0 ? output : `exit ${r.exitCode}\n${output}` };
  });
}

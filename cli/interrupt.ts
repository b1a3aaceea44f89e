/** Ctrl-C, SIGTERM, SIGHUP → an AbortSignal (reason: the signal's name) for the operation. */
import { constants } from 'node:os';

export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; exitCode?: number }> {
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(sig);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    const value = await work(abort.signal);
    const sig = abort.signal.aborted ? (abort.signal.reason as NodeJS.Signals) : undefined;
    // Interrupted: exit like a process killed by that signal (130 for Ctrl-C).
    return { value, ...(sig ? { exitCode: 128 + (constants.signals[sig] ?? 2) } : {}) };
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

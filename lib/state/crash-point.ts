/**
 * Fault injection for the crash tests (test/integration/crash-points.test.ts): with
 * RACKER_CRASH_AT=PHASE[,PHASE…] racker SIGKILLs itself when it reaches one of those phases, as
 * a power cut or `kill -9` would stop it there. Compiled in, inert unless set: one environment
 * lookup per phase reached. Phases are named `operation:step` (`pull:unpacked`) or, for an
 * atomic write, `write:FILE` (the file's base name), killed between the write and the rename.
 * Every guarantee of doc/reliability.md ("a killed pull leaves nothing that looks like an
 * image", "state files are never half-written") is tested by stopping racker at each phase.
 */
export function crashPoint(phase: string): void {
  const wanted = process.env.RACKER_CRASH_AT;
  if (wanted && wanted.split(',').includes(phase)) process.kill(process.pid, 'SIGKILL');
}

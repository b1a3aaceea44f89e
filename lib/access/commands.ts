/**
 * The commands a member of the racker group may run through the service (lib/api/cli-forward.ts),
 * by their words after management commands are expanded (`container ls` → ps). Everything
 * else (images built or removed, networks made, the host's files read or written by name,
 * registry logins, pools, system prune) stays root's. The objects these commands touch are
 * checked as the member's own where they are found (lib/access/policy.ts).
 */
const RACKER: Record<string, true | readonly string[]> = {
  run: true, create: true, start: true, stop: true, restart: true, kill: true, rm: true, ps: true, logs: true,
  exec: true, wait: true, inspect: true, images: true, pull: true, top: true, port: true, stats: true,
  pause: true, unpause: true, rename: true, attach: true, diff: true, version: true, info: true, events: true,
  update: true, history: true, shell: true,
  // Their -o file is written by a process of the member's (access/as-caller.ts).
  save: true, export: true,
  // The host's half of cp runs as the member (archive/cp-local.ts).
  cp: true,
  // The supervisor of a member's container runs with the member as its caller (detached.ts).
  __supervise: true,
  volume: ['ls', 'list', 'create', 'inspect', 'rm', 'remove'],
  network: ['ls', 'list', 'inspect', 'connect', 'disconnect'],
  system: ['df', 'info', 'events'],
};
// Report files (--report-json/--report-junit FILE) are written as the member (cli/postroj/reports.ts).
const POSTROJ: Record<string, true | readonly string[]> = { 'list-images': true, pkgprobe: true, selftest: true };

/** Why a member may not run this (argv as prepared: global flags, then the command word), or undefined. Pure. */
export function commandRefusal(program: 'racker' | 'postroj', argv: readonly string[]): string | undefined {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i++;
  const word = argv[i];
  if (word === undefined) return undefined;
  const allowed = (program === 'racker' ? RACKER : POSTROJ)[word];
  const sub = argv.slice(i + 1).find((a) => !a.startsWith('-'));
  const shown = Array.isArray(allowed) ? `${word} ${sub ?? ''}`.trim() : word;
  if (!allowed || (Array.isArray(allowed) && (sub === undefined || !allowed.includes(sub)))) return `${program} ${shown} is root's: not for members of the racker group (doc/security.md)`;
  return undefined;
}

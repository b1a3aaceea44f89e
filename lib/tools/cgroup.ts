/** The wrapper that starts a process inside a container's cgroups (doc/resources.md). Pure. */

/**
 * `sh` writes its own PID into each cgroup.procs file, then execs argv: the process (nspawn,
 * or nsenter for exec) keeps that PID and is born inside, before it can fork. A failed write
 * ends it with 125 and sh's message on stderr. The files come as arguments, never in the script.
 */
export const CGROUP_WRAPPER_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export function inCgroupArgv(procsFiles: readonly string[], argv: readonly string[]): string[] {
  if (!procsFiles.length) return [...argv];
  return ['sh', '-c', CGROUP_WRAPPER_SCRIPT, 'racker-cgroup', ...procsFiles, '--', ...argv];
}

/**
 * Find the command in the container's filesystem before starting it, so racker can answer
 * like docker (127 not found, 126 not executable) instead of a tool's exec error; read the
 * container's users and shells. Every path is resolved inside the container's root
 * (in-root.ts): an absolute link target means the container's /, never the host's.
 */
import path from 'node:path';
import { RackerError, UsageError } from '../errors.js';
import type { ContainerRoot } from '../fs/in-root.js';
import { resolveUser, type ResolvedUser } from './spec.js';

export class CommandNotRunnable extends RackerError {}

function executable(root: ContainerRoot, p: string): 'ok' | 'missing' | 'denied' {
  // A link loop counts as nothing there: nothing to run.
  const st = root.statOrNothing(p);
  if (!st) return 'missing';
  if (st.isDirectory()) return 'denied';
  // Root may execute a file if any execute bit is set.
  return st.mode & 0o111 ? 'ok' : 'denied';
}

/**
 * Check that `command` can be executed in the container. Throws CommandNotRunnable with
 * docker's message and exit code (127 / 126) otherwise.
 */
export function checkCommand(root: ContainerRoot, command: string, env: readonly string[], workingDir = '/'): void {
  if (command.includes('/')) {
    const state = executable(root, path.posix.resolve(workingDir, command));
    if (state === 'missing') {
      throw new CommandNotRunnable(`exec: "${command}": stat ${command}: no such file or directory`, { exitCode: 127 });
    }
    if (state === 'denied') throw new CommandNotRunnable(`exec: "${command}": permission denied`, { exitCode: 126 });
    return;
  }
  const pathVar = [...env].reverse().find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  let denied = false;
  for (const dir of pathVar.split(':').filter(Boolean)) {
    const state = executable(root, path.posix.join(dir, command));
    if (state === 'ok') return;
    if (state === 'denied') denied = true;
  }
  if (denied) throw new CommandNotRunnable(`exec: "${command}": permission denied`, { exitCode: 126 });
  throw new CommandNotRunnable(`exec: "${command}": executable file not found in $PATH`, { exitCode: 127 });
}


/** -u against the container's own /etc/passwd and /etc/group (regular files only, bounded). */
export function resolveUserInRoot(root: ContainerRoot, spec: string): ResolvedUser {
  return resolveUser(spec, root.readText('/etc/passwd') ?? '', root.readText('/etc/group') ?? '');
}

/** A login shell for the container: `preferred` when the image has it, else bash, else sh. */
export function shellInRoot(root: ContainerRoot, preferred?: string): string {
  for (const candidate of [preferred, '/bin/bash', '/bin/sh']) {
    if (candidate?.startsWith('/') && root.stat(candidate)) return candidate;
  }
  throw new UsageError('the image has no shell (/bin/sh)');
}

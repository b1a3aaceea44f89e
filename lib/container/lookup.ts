/**
 * Find the command in the container's filesystem before starting it, so racker can answer
 * like docker (127 not found, 126 not executable) instead of a tool's exec error.
 * Symlinks are followed inside the container's root: an absolute link target means the
 * container's /, never the host's.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RackerError, UsageError } from '../errors.js';
import { resolveUser, type ResolvedUser } from './spec.js';

export class CommandNotRunnable extends RackerError {}

const MAX_LINKS = 40;

/** Resolve `p` (absolute, in container terms) under `root`, following links inside root. */
export async function resolveInRoot(root: string, p: string): Promise<string | undefined> {
  let pending = p.split('/').filter(Boolean);
  let resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = path.join(root, ...resolved, part);
    let st;
    try {
      st = await fs.lstat(hostPath);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await fs.readlink(hostPath);
      if (target.startsWith('/')) resolved = [];
      pending = [...target.split('/').filter(Boolean), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

async function executable(hostPath: string): Promise<'ok' | 'missing' | 'denied'> {
  try {
    const st = await fs.stat(hostPath);
    if (st.isDirectory()) return 'denied';
    // Root may execute a file if any execute bit is set.
    return st.mode & 0o111 ? 'ok' : 'denied';
  } catch {
    return 'missing';
  }
}

/**
 * Check that `command` can be executed in the container. Throws CommandNotRunnable with
 * docker's message and exit code (127 / 126) otherwise.
 */
export async function checkCommand(root: string, command: string, env: readonly string[], workingDir = '/'): Promise<void> {
  if (command.includes('/')) {
    const abs = path.posix.resolve(workingDir, command);
    const host = await resolveInRoot(root, abs);
    const state = host ? await executable(host) : 'missing';
    if (state === 'missing') {
      throw new CommandNotRunnable(`exec: "${command}": stat ${command}: no such file or directory`, { exitCode: 127 });
    }
    if (state === 'denied') throw new CommandNotRunnable(`exec: "${command}": permission denied`, { exitCode: 126 });
    return;
  }
  const pathVar = [...env].reverse().find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  let denied = false;
  for (const dir of pathVar.split(':').filter(Boolean)) {
    const host = await resolveInRoot(root, path.posix.join(dir, command));
    if (!host) continue;
    const state = await executable(host);
    if (state === 'ok') return;
    if (state === 'denied') denied = true;
  }
  if (denied) throw new CommandNotRunnable(`exec: "${command}": permission denied`, { exitCode: 126 });
  throw new CommandNotRunnable(`exec: "${command}": executable file not found in $PATH`, { exitCode: 127 });
}


/** A file of the container's (links followed inside its root); empty when missing. */
export async function readFileInRoot(root: string, file: string): Promise<string> {
  const host = await resolveInRoot(root, file);
  return host ? fs.readFile(host, 'utf8').catch(() => '') : '';
}

/** -u against the container's own /etc/passwd and /etc/group. */
export async function resolveUserInRoot(root: string, spec: string): Promise<ResolvedUser> {
  return resolveUser(spec, await readFileInRoot(root, '/etc/passwd'), await readFileInRoot(root, '/etc/group'));
}

/** A login shell for the container: `preferred` when the image has it, else bash, else sh. */
export async function shellInRoot(root: string, preferred?: string): Promise<string> {
  for (const candidate of [preferred, '/bin/bash', '/bin/sh']) {
    if (candidate?.startsWith('/') && (await resolveInRoot(root, candidate))) return candidate;
  }
  throw new UsageError('the image has no shell (/bin/sh)');
}

/**
 * Real users and groups for the tests of racker without sudo (members.test.ts, cli-ready.test.ts):
 * made with useradd/groupadd and removed again, driven with setpriv.
 */
import { execFileSync } from 'node:child_process';

/** Run a host command; its stdout (throws on failure). */
export function sh(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether the account or group exists (getent: NSS, not only /etc). */
export function accountExists(kind: 'passwd' | 'group', name: string): boolean {
  try {
    sh(['getent', kind, name]);
    return true;
  } catch {
    return false;
  }
}

/** setpriv's argv prefix that runs a command as `user`, with their uid, gid and groups. */
export function asUserWrapper(user: string): string[] {
  return ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups'];
}

/** A uid (and gid) that no account or group on this host has. */
export function freeId(): number {
  for (let id = 42_420; id < 43_000; id++) {
    if (!accountExists('passwd', String(id)) && !accountExists('group', String(id))) return id;
  }
  throw new Error('no free uid');
}

/**
 * A user as `sudo racker shell` sees SUDO_USER: a free uid with a group of the same number and
 * name, bash, `home` (made, theirs). Returns the uid; removeShellUser undoes it.
 */
export function makeShellUser(name: string, home: string, comment = ''): number {
  const uid = freeId();
  sh(['groupadd', '-g', String(uid), name]);
  sh(['useradd', '-M', '-u', String(uid), '-g', String(uid), '-d', home, '-s', '/bin/bash', '-c', comment, name]);
  sh(['mkdir', '-p', home]);
  sh(['chown', '-R', `${uid}:${uid}`, home]);
  return uid;
}

export function removeShellUser(name: string): void {
  for (const argv of [['userdel', name], ['groupdel', name]]) {
    try {
      sh(argv);
    } catch {
      /* never made, or gone with the user */
    }
  }
}

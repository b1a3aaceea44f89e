/**
 * The invoking user's account, carried into a `racker shell` container: who they are on
 * the host, and the /etc/passwd, /etc/group and /etc/shadow lines that make the same
 * uid, gid, name and home exist inside. Pure functions; reading and writing is shell.ts's.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** The passwd comment field (full name), kept as it is. */
  gecos: string;
}

/** One passwd(5) line → Account; undefined for a malformed line. */
export function parsePasswdLine(line: string): Account | undefined {
  const f = line.trim().split(':');
  if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f[6]! };
}

/**
 * Whose shell this is: under sudo the user who ran sudo (SUDO_USER), otherwise root's
 * own. `lookup` answers passwd lines by name (getent, so LDAP/NSS users work too).
 */
export async function invokingUser(env: NodeJS.ProcessEnv, uid: number, lookup: (key: string) => Promise<string | undefined>): Promise<Account> {
  const sudoUser = env.SUDO_USER;
  const key = sudoUser && sudoUser !== 'root' ? sudoUser : String(uid);
  const line = await lookup(key);
  const account = line ? parsePasswdLine(line) : undefined;
  if (!account) throw new UsageError(`cannot find the account of user ${key} on this host (getent passwd ${key})`);
  return account;
}

/** The pet container's name: one per user and image, in docker's name alphabet. */
export function petName(user: string, image: string): string {
  const slug = (s: string) => s.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return `shell-${slug(user)}-${slug(image)}`.slice(0, 128).replace(/[-.]+$/, '');
}

/** The directory to start in: the caller's own when it lies under their home (bind-mounted), else home. */
export function shellWorkdir(cwd: string, home: string): string {
  const rel = path.relative(home, cwd);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? cwd : home;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const field = (line: string, i: number) => line.split(':')[i];

export interface AccountFiles {
  passwd: string;
  group: string;
  /** Undefined when the image has no /etc/shadow. */
  shadow?: string;
}

/**
 * The container's account files with `account` in them. An image account with the same
 * name or uid (Ubuntu's "ubuntu" at 1000, say) gives way: the uid must map to the caller,
 * or files in the shared home would show another owner. A group with the gid is kept
 * (only the number matters for ownership); otherwise one named after the user is added.
 * Unchanged files come back identical, so a second run writes nothing.
 */
export function withAccount(files: AccountFiles, account: Account, shell: string): AccountFiles {
  const entry = `${account.name}:x:${account.uid}:${account.gid}:${account.gecos}:${account.home}:${shell}`;
  const others = lines(files.passwd).filter((l) => field(l, 0) !== account.name && field(l, 2) !== String(account.uid));
  const passwdLines = [...others, entry];

  const groups = lines(files.group);
  const hasGid = groups.some((l) => field(l, 2) === String(account.gid));
  const nameTaken = groups.some((l) => field(l, 0) === account.name);
  const groupLines = hasGid || nameTaken ? groups : [...groups, `${account.name}:x:${account.gid}:`];

  const result: AccountFiles = { passwd: `${passwdLines.join('\n')}\n`, group: `${groupLines.join('\n')}\n` };
  if (files.shadow !== undefined) {
    // Locked password: the account exists for ownership and for `racker exec -u`, not for logins.
    const kept = lines(files.shadow).filter((l) => field(l, 0) !== account.name);
    result.shadow = `${[...kept, `${account.name}:!:::::::`].join('\n')}\n`;
  }
  // Keep files byte-identical when nothing changed (no trailing-newline churn).
  for (const k of ['passwd', 'group', 'shadow'] as const) {
    const before = files[k];
    if (before !== undefined && result[k] !== undefined && lines(before).join('\n') === lines(result[k]!).join('\n')) result[k] = before;
  }
  return result;
}

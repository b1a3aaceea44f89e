/**
 * Socket activation for `racker system service` (scripts/systemd/racker.socket): systemd
 * creates and owns the socket (its path, mode and group come from the socket unit) and hands
 * it to the service as fd 3, with LISTEN_PID and LISTEN_FDS saying so (sd_listen_fds(3)).
 * The decision is a pure function of the environment and our pid; reading which socket the
 * fd is (/proc) is the small impure part.
 */
import { promises as fs } from 'node:fs';
import { RackerError } from '../errors.js';

/** sd_listen_fds(3): passed sockets start here. */
export const SD_LISTEN_FDS_START = 3;

/** The variables systemd sets for an activated service (LISTEN_FDNAMES with FileDescriptorName=). */
const LISTEN_VARS = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

/**
 * The fd to serve on, or undefined when nothing was passed to this process. Like
 * sd_listen_fds: variables meant for another pid (a parent that did not unset them) are not
 * ours. One socket only: racker.socket has one ListenStream=.
 */
export function activationFd(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const listenPid = env.LISTEN_PID;
  if (listenPid === undefined || listenPid === '') return undefined;
  if (!/^\d+$/.test(listenPid)) throw new RackerError(`LISTEN_PID=${listenPid}: not a process ID (socket activation)`);
  if (Number(listenPid) !== pid) return undefined;
  const count = env.LISTEN_FDS ?? '';
  if (!/^\d+$/.test(count)) throw new RackerError(`LISTEN_FDS=${count}: not a number of sockets (socket activation)`);
  if (Number(count) === 0) return undefined;
  if (Number(count) !== 1) throw new RackerError(`systemd passed ${count} sockets; racker system service serves one (one ListenStream= in racker.socket)`);
  return SD_LISTEN_FDS_START;
}

/** sd_listen_fds's unset_environment: children (supervisors, tools) must not take the socket as theirs. */
export function forgetActivation(env: NodeJS.ProcessEnv): void {
  for (const v of LISTEN_VARS) delete env[v];
}

/**
 * A listening unix stream socket's path from /proc/net/unix ("Num RefCount Protocol Flags
 * Type St Inode Path"), by the socket's inode. Undefined when the inode is not a listening
 * unix stream socket (a TCP socket, a datagram one): racker serves unix sockets only, where
 * the file's mode and group decide who may connect.
 */
export function unixListenerPath(procNetUnix: string, inode: number): string | undefined {
  const ACCEPTING = 0x10000; // __SO_ACCEPTCON: listen() was called
  const STREAM = 1;
  for (const line of procNetUnix.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || Number(f[6]) !== inode) continue;
    if ((parseInt(f[3]!, 16) & ACCEPTING) === 0 || parseInt(f[4]!, 16) !== STREAM) return undefined;
    return f.slice(7).join(' ');
  }
  return undefined;
}

export interface Activation {
  fd: number;
  /** The socket's path, for messages (systemd made the file; racker leaves it alone). */
  socket: string;
}

/**
 * The socket systemd passed, if any; the LISTEN_* variables are gone from `env` afterwards
 * either way. A passed fd that is not a listening unix stream socket is refused.
 */
export async function systemdSocket(env: NodeJS.ProcessEnv, pid: number): Promise<Activation | undefined> {
  let fd: number | undefined;
  try {
    fd = activationFd(env, pid);
  } finally {
    forgetActivation(env);
  }
  if (fd === undefined) return undefined;
  const link = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '');
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  const socket = inode ? unixListenerPath(await fs.readFile('/proc/net/unix', 'utf8'), Number(inode)) : undefined;
  if (socket === undefined) throw new RackerError(`the socket systemd passed (fd ${fd}) is not a listening unix stream socket: racker serves the Engine API on a unix socket only`);
  return { fd, socket };
}

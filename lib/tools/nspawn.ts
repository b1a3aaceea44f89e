/** Pure argv builders for systemd-nspawn and nsenter. */

export interface NspawnRunOptions {
  directory: string;
  command: readonly string[];
  env?: Record<string, string>;
  /**
   * Register with systemd-machined. Hosts without systemd as PID 1 (CI containers)
   * have no machined: there nspawn needs --register=no --keep-unit.
   */
  register: boolean;
  machine?: string;
  /** Network stays the host's unless private (own namespace with loopback only). */
  privateNetwork?: boolean;
}

function registration(register: boolean, machine: string | undefined): string[] {
  const argv = register ? ['--register=yes'] : ['--register=no', '--keep-unit'];
  if (machine) argv.push(`--machine=${machine}`);
  return argv;
}

/** A one-shot, non-boot command in a root directory (used for provisioning images). */
export function nspawnRunArgv(o: NspawnRunOptions): string[] {
  const argv = ['systemd-nspawn', '--quiet', `--directory=${o.directory}`, '--console=pipe', '--resolv-conf=copy-host', '--timezone=off'];
  argv.push(...registration(o.register, o.machine));
  if (o.privateNetwork) argv.push('--private-network');
  for (const [k, v] of Object.entries(o.env ?? {})) argv.push(`--setenv=${k}=${v}`);
  argv.push('--', ...o.command);
  return argv;
}

export interface Bind {
  host: string;
  container: string;
  readOnly: boolean;
  /** A named volume's name: its directory is host (inspect shows a volume mount). */
  volume?: string;
  /**
   * A member's host path (lib/access/member-binds.ts): mounted ID-mapped, so the container acts
   * on it as that host user and as nobody else; the container's `uid`:`gid` is who owns it inside.
   */
  asUser?: BindUser;
  /** Skipped at a start when its host path is gone or cannot be mounted (racker shell's desktop sockets), instead of failing the start. */
  optional?: boolean;
}

export interface BindUser {
  /** The member on the host. */
  hostUid: number;
  hostGid: number;
  /** The container user their files belong to (the container's user: 0 for root, the account for racker shell). */
  uid: number;
  gid: number;
}

export interface ContainerNspawnOptions {
  directory: string;
  machine: string;
  hostname: string;
  register: boolean;
  privateNetwork: boolean;
  /**
   * A network namespace racker prepared (a bridge network). nspawn starts inside it (through
   * nsenter) rather than joining it with --network-namespace-path: that option enters the
   * namespace after /sys is mounted, so the container's /sys/class/net would list the host's
   * interfaces.
   */
  networkNamespacePath?: string;
  /** copy-host (the default), or off: racker wrote the container's own resolv.conf. */
  resolvConf?: 'copy-host' | 'off';
  binds: readonly Bind[];
  /** --tmpfs: a fresh tmpfs at each path (container path, mount options). */
  tmpfs?: readonly { container: string; options: string }[];
  /** --property=… for the machine's scope (limits of a registered machine). */
  properties?: readonly string[];
}

/** nspawn parses ':' in --bind as a separator; backslash escapes keep it in a path. */
function escapeBindPath(p: string): string {
  return p.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

function containerFlags(o: ContainerNspawnOptions): string[] {
  const argv = [
    ...(o.networkNamespacePath ? ['nsenter', `--net=${o.networkNamespacePath}`, '--'] : []),
    'systemd-nspawn',
    '--quiet',
    `--directory=${o.directory}`,
    `--hostname=${o.hostname}`,
    `--resolv-conf=${o.resolvConf ?? 'copy-host'}`,
    '--timezone=off',
    '--link-journal=no',
    ...registration(o.register, o.machine),
  ];
  if (o.privateNetwork) argv.push('--private-network');
  if (o.register) argv.push(...(o.properties ?? []));
  for (const b of o.binds) {
    argv.push(`${b.readOnly ? '--bind-ro' : '--bind'}=${escapeBindPath(b.host)}:${escapeBindPath(b.container)}`);
  }
  for (const t of o.tmpfs ?? []) argv.push(`--tmpfs=${escapeBindPath(t.container)}:${t.options}`);
  return argv;
}

/**
 * Boot mode: systemd runs as PID 1. The console goes to nspawn's stdout read-only, so
 * nothing of the boot reaches the user's terminal unless asked (logs of a system container).
 */
export function nspawnBootArgv(o: ContainerNspawnOptions): string[] {
  return [...containerFlags(o), '--boot', '--console=read-only'];
}

export interface DirectOptions extends ContainerNspawnOptions {
  command: readonly string[];
  env: readonly string[];
  workingDir?: string;
  /**
   * Run the command as this user: racker resolved -u in the container's own files. nspawn's
   * --user takes only a name it looks up with the image's getent and no group, so the host's
   * gosu (static) is bound in read-only and drops to uid:gid before exec'ing the command,
   * which stays PID 1; gosu takes the supplementary groups from the container's /etc/group.
   */
  switchUser?: { tool: string; uid: number; gid: number };
  /**
   * --init: the host's tini (static) as PID 1, bound read-only like gosu; it reaps zombies
   * and passes signals on to the command, as docker's docker-init does.
   */
  init?: string;
  /** -t: a pseudo-terminal (console=interactive); otherwise plain pipes. */
  tty: boolean;
}

/** Where gosu appears in a direct-mode container run with -u (nspawn mounts a fresh tmpfs on /run). */
export const SWITCH_USER_TOOL = '/run/racker/gosu';
/** Where tini appears with --init. */
export const INIT_TOOL = '/run/racker/init';

/** Direct mode: the command is the container's PID 1, like docker. */
export function nspawnDirectArgv(o: DirectOptions): string[] {
  const argv = [...containerFlags(o), `--console=${o.tty ? 'interactive' : 'pipe'}`];
  if (o.workingDir) argv.push(`--chdir=${o.workingDir}`);
  if (o.switchUser) argv.push(`--bind-ro=${escapeBindPath(o.switchUser.tool)}:${SWITCH_USER_TOOL}`);
  if (o.init) argv.push(`--bind-ro=${escapeBindPath(o.init)}:${INIT_TOOL}`);
  for (const e of o.env) argv.push(`--setenv=${e}`);
  // The user first, so init runs as the user too (as docker's does), then the command.
  const as = o.switchUser ? [SWITCH_USER_TOOL, `${o.switchUser.uid}:${o.switchUser.gid}`] : [];
  const init = o.init ? [INIT_TOOL, '--'] : [];
  argv.push('--', ...as, ...init, ...o.command);
  return argv;
}

export interface NsenterOptions {
  leader: number;
  command: readonly string[];
  /**
   * The working directory, as a descriptor racker holds (process `pid`'s fd `fd`) of a
   * directory it found inside the container. Never a path: nsenter opens --wd before it
   * enters the container, so the host would resolve a path (a link to / would be the host's /).
   */
  workingDirFd?: { pid: number; fd: number };
  uid?: number;
  gid?: number;
}

/**
 * Run a command inside a running container's namespaces (all of them: the mount
 * namespace switch also puts us in the container's root). The environment is the
 * nsenter process's own, which the caller sets cleanly.
 */
export function nsenterArgv(o: NsenterOptions): string[] {
  const argv = ['nsenter', `--target=${o.leader}`, '--all'];
  if (o.workingDirFd) argv.push(`--wd=/proc/${o.workingDirFd.pid}/fd/${o.workingDirFd.fd}`);
  if (o.gid !== undefined) argv.push(`--setgid=${o.gid}`);
  if (o.uid !== undefined) argv.push(`--setuid=${o.uid}`);
  argv.push('--', ...o.command);
  return argv;
}

/**
 * Like nsenterArgv, but in the host's PID namespace with a /proc of the command's own showing
 * the host's processes (racker shell --host-pid): `tool` is native/enter-host-pid.c, built.
 */
export function enterHostPidArgv(tool: string, o: NsenterOptions & { workingDirFd: { pid: number; fd: number } }): string[] {
  return [tool, String(o.leader), `/proc/${o.workingDirFd.pid}/fd/${o.workingDirFd.fd}`, String(o.uid ?? -1), String(o.gid ?? -1), '--', ...o.command];
}

/** Is the booted system up? "running" or "degraded" means ready for commands. --wait: until the boot has ended. */
export function isSystemRunningArgv(leader: number, o: { wait?: boolean } = {}): string[] {
  return nsenterArgv({ leader, command: ['systemctl', 'is-system-running', ...(o.wait ? ['--wait'] : [])] });
}

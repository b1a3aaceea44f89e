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
  /** uid[:gid] or a name nspawn resolves inside the container. */
  user?: string;
  /** -t: a pseudo-terminal (console=interactive); otherwise plain pipes. */
  tty: boolean;
}

/** Direct mode: the command is the container's PID 1, like docker. */
export function nspawnDirectArgv(o: DirectOptions): string[] {
  const argv = [...containerFlags(o), `--console=${o.tty ? 'interactive' : 'pipe'}`];
  if (o.workingDir) argv.push(`--chdir=${o.workingDir}`);
  if (o.user) argv.push(`--user=${o.user}`);
  for (const e of o.env) argv.push(`--setenv=${e}`);
  argv.push('--', ...o.command);
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

/** Is the booted system up? "running" or "degraded" means ready for commands. --wait: until the boot has ended. */
export function isSystemRunningArgv(leader: number, o: { wait?: boolean } = {}): string[] {
  return nsenterArgv({ leader, command: ['systemctl', 'is-system-running', ...(o.wait ? ['--wait'] : [])] });
}

/** Pure argv builders for systemd-nspawn. */

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

/** A one-shot, non-boot command in a root directory (used for provisioning images). */
export function nspawnRunArgv(o: NspawnRunOptions): string[] {
  const argv = ['systemd-nspawn', '--quiet', `--directory=${o.directory}`, '--console=pipe', '--resolv-conf=copy-host', '--timezone=off'];
  if (o.register) argv.push('--register=yes');
  else argv.push('--register=no', '--keep-unit');
  if (o.machine) argv.push(`--machine=${o.machine}`);
  if (o.privateNetwork) argv.push('--private-network');
  for (const [k, v] of Object.entries(o.env ?? {})) argv.push(`--setenv=${k}=${v}`);
  argv.push('--', ...o.command);
  return argv;
}

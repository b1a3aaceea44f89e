/**
 * `racker version` and `racker info`: the objects docker's --format templates walk
 * ({{.Server.Version}}, {{.ServerVersion}}), and the text docker prints without --format.
 * The server half is the Engine API's own /version and /info answer (lib/api/system.ts), so
 * the CLI and `docker version` against the socket say the same.
 */
import os from 'node:os';
import type { Context } from '../context.js';
import { infoBody, versionBody } from '../api/system.js';
import { MAX_API_VERSION } from '../api/version.js';

type Obj = Record<string, any>;

export function versionReport(version: string): { Client: Obj; Server: Obj } {
  const server = versionBody({ version });
  return {
    Client: {
      Platform: { Name: 'racker' },
      Version: version,
      ApiVersion: MAX_API_VERSION,
      DefaultAPIVersion: MAX_API_VERSION,
      GitCommit: '',
      GoVersion: server.GoVersion,
      Os: 'linux',
      Arch: server.Arch,
      BuildTime: '',
      Context: 'default',
    },
    Server: server,
  };
}

export async function infoReport(ctx: Context, version: string): Promise<Obj> {
  return { ...(await infoBody({ ctx, version })), ClientInfo: { Debug: ctx.log.verbose, Version: version, Context: 'default', Plugins: [], Warnings: null } };
}

/** Lines of "label:" and value, the values aligned in one column as docker's tabwriter does. */
function aligned(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([l]) => l.length)) + 1;
  return rows.map(([l, v]) => `${l.padEnd(width)}${v}`.trimEnd());
}

export function versionText(r: { Client: Obj; Server: Obj }): string {
  const c = r.Client;
  const s = r.Server;
  const rows: Array<[string, string]> = [
    [' Version:', c.Version],
    [' API version:', c.ApiVersion],
    [' Node version:', c.GoVersion.replace(/^node /, '')],
    [' Git commit:', c.GitCommit],
    [' Built:', c.BuildTime],
    [' OS/Arch:', `${c.Os}/${c.Arch}`],
    [' Context:', c.Context],
    ['  Version:', s.Version],
    ['  API version:', `${s.ApiVersion} (minimum version ${s.MinAPIVersion})`],
    ['  Node version:', s.GoVersion.replace(/^node /, '')],
    ['  Git commit:', s.GitCommit],
    ['  Built:', s.BuildTime],
    ['  OS/Arch:', `${s.Os}/${s.Arch}`],
    ['  Experimental:', String(s.Experimental)],
    ['  Runtime:', 'systemd-nspawn'],
  ];
  const lines = aligned(rows);
  return ['Client:', ...lines.slice(0, 7), '', `Server: ${s.Platform.Name}`, ' Engine:', ...lines.slice(7)].join('\n');
}

/** Binary units with one decimal, docker's units.BytesSize ("3.8GiB"). */
function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toFixed(2))}${units[i]}`;
}

export function infoText(r: Obj): string {
  return [
    'Client:',
    ` Version:    ${r.ClientInfo.Version}`,
    ` Context:    ${r.ClientInfo.Context}`,
    ` Debug Mode: ${r.ClientInfo.Debug}`,
    '',
    'Server:',
    ` Containers: ${r.Containers}`,
    `  Running: ${r.ContainersRunning}`,
    `  Paused: ${r.ContainersPaused}`,
    `  Stopped: ${r.ContainersStopped}`,
    ` Images: ${r.Images}`,
    ` Server Version: ${r.ServerVersion}`,
    ` Storage Driver: ${r.Driver}`,
    ` Logging Driver: ${r.LoggingDriver}`,
    ` Cgroup Version: ${r.CgroupVersion}`,
    ` Runtimes: ${Object.keys(r.Runtimes).join(' ')}`,
    ` Default Runtime: ${r.DefaultRuntime}`,
    ` Kernel Version: ${r.KernelVersion}`,
    ` Operating System: ${r.OperatingSystem}`,
    ` OSType: ${r.OSType}`,
    ` Architecture: ${r.Architecture}`,
    ` CPUs: ${r.NCPU}`,
    ` Total Memory: ${bytesSize(r.MemTotal)}`,
    ` Name: ${r.Name || os.hostname()}`,
    ` Docker Root Dir: ${r.DockerRootDir}`,
    ` Debug Mode: ${r.Debug}`,
    ` Experimental: ${r.ExperimentalBuild}`,
    ` Live Restore Enabled: ${r.LiveRestoreEnabled}`,
  ].join('\n');
}

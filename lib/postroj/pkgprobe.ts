/**
 * postroj pkgprobe: start a machine of one image, run every check asked for (packages
 * first, then units, network, commands — all of them, whatever fails), tear it down.
 */
import type { Context } from '../context.js';
import { commandProbe } from '../../probes/command.js';
import { httpProbe, tcpProbe, validateExpectations, type HttpExpectations } from '../../probes/network.js';
import { classifyPackage, packageProbe } from '../../probes/package.js';
import type { ProbeResult } from '../../probes/types.js';
import { unitProbe } from '../../probes/unit.js';
import { UsageError, errorMessage } from '../errors.js';
import { copyAsCaller } from '../access/as-caller.js';
import { isMember } from '../access/caller.js';
import { downloadFile } from '../registry/download.js';
import { prepareMachine, type Machine } from './machine.js';
import { packageCacheFor } from './package-cache/index.js';
import { CACHE_SIZE_ENV, parseCacheSize } from './package-cache/policy.js';
import type { ImageReport } from './report.js';
import { parsePlatform } from '../image/platform.js';

export interface ProbeSpec {
  packages: string[];
  units: string[];
  network: string[];
  commands: string[];
  http: HttpExpectations;
  timeoutMs: number;
  bootTimeoutSeconds: number;
  /** none (default): the machine boots in its own network namespace; host: on the host's. */
  machineNetwork?: 'host' | 'none';
  /** Leave a machine with a failed probe running, for `racker exec`. */
  keepOnFailure?: boolean;
  /** A warm machine of the image's pool when one fits (lib/pool/probe-machine.ts). */
  warm?: boolean;
  /** --platform: the image's platform (a foreign one runs emulated). */
  platform?: string;
}

/** Check the spec before starting anything: bad input is a usage error, not a failed probe. */
export function validateSpec(spec: ProbeSpec): void {
  for (const p of spec.packages) classifyPackage(p);
  for (const u of spec.network) {
    if (!/^(https?|tcp):\/\/[^\s/]/.test(u)) throw new UsageError(`invalid --check-network ${JSON.stringify(u)}: use http(s)://… or tcp://HOST:PORT`);
  }
  validateExpectations(spec.http);
  if (spec.platform !== undefined) parsePlatform(spec.platform);
}

export async function pkgprobe(
  ctx: Context,
  image: string,
  spec: ProbeSpec,
  opts: { status?: (l: string) => void; signal?: AbortSignal } = {},
): Promise<ImageReport> {
  const started = performance.now();
  const probes: ProbeResult[] = [];
  const report = (error?: string, kept?: string): ImageReport => ({
    image,
    ok: !error && probes.every((p) => p.ok),
    durationMs: Math.round(performance.now() - started),
    probes,
    ...(error ? { error } : {}),
    ...(kept ? { kept } : {}),
  });
  // Root's packages go in before boot with the host's network (machine.ts), which a member may
  // not use: theirs go in after boot, over racker's bridge network like any container of theirs,
  // from files read as them, and not through the package cache root's probes share.
  const member = isMember(ctx.caller) ? ctx.caller : undefined;
  const installBooted = member !== undefined && spec.packages.length > 0;
  const asked = spec.machineNetwork ?? 'none';
  // The install needs the archive: a member's machine (own namespace, loopback only, by default) is on the bridge instead.
  const network = installBooted && asked === 'none' ? 'bridge' : asked;
  if (network !== asked) ctx.log.debug(`pkgprobe: a member's packages are installed after boot: the machine is on the bridge network, not ${asked}`);
  // A bad cache bound is bad input: said before any machine starts.
  if (spec.packages.length) parseCacheSize(ctx.env[CACHE_SIZE_ENV]);
  let machine: Machine;
  try {
    const warm = spec.warm ? await (await import('../pool/probe-machine.js')).warmProbeMachine(ctx, image, { network, packages: spec.packages.length }) : undefined;
    machine = warm ?? await prepareMachine(ctx, image, {
      bootTimeoutSeconds: spec.bootTimeoutSeconds,
      network,
      ...(spec.platform ? { platform: spec.platform } : {}),
      ...(opts.status ? { status: opts.status } : {}),
    });
  } catch (err) {
    return report(errorMessage(err));
  }
  // Ctrl-C: the machine goes, whatever step we are in.
  const onAbort = () => void machine.remove();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let keep = false;
  try {
    /** Why the machine did not boot, or undefined once it runs. */
    const boot = async (): Promise<string | undefined> => {
      try {
        await machine.boot();
        return undefined;
      } catch (err) {
        return errorMessage(err);
      }
    };
    if (installBooted) {
      const failed = await boot();
      if (failed !== undefined) return report(failed);
    }
    // Root's packages go in before boot, with the host's network: the archive must be reachable.
    const cache = spec.packages.length && !member ? packageCacheFor(ctx, machine) : undefined;
    const download = (url: string, dest: string) => downloadFile(url, dest, { log: ctx.log });
    const copyFile = member ? (file: string, dest: string) => copyAsCaller(member, file, dest) : undefined;
    for (const p of spec.packages) probes.push(await packageProbe(machine, p, { download, ...(cache ? { cache } : {}), ...(copyFile ? { copyFile } : {}) }));
    if (!installBooted) {
      const failed = await boot();
      if (failed !== undefined) return report(failed);
    }
    for (const u of spec.units) probes.push(await unitProbe(machine, u, spec.timeoutMs));
    for (const n of spec.network) {
      probes.push(n.startsWith('tcp://') ? await tcpProbe(machine, n, spec.timeoutMs) : await httpProbe(machine, n, spec.http, spec.timeoutMs));
    }
    for (const c of spec.commands) probes.push(await commandProbe(machine, c));
    keep = Boolean(spec.keepOnFailure) && probes.some((p) => !p.ok) && !opts.signal?.aborted;
    return report(undefined, keep ? machine.record.name : undefined);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!keep) await machine.remove();
  }
}

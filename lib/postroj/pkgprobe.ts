/**
 * postroj pkgprobe: start a machine of one image, run every check asked for (packages
 * first, then units, network, commands — all of them, whatever fails), tear it down.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../context.js';
import { commandProbe } from '../../probes/command.js';
import { httpProbe, tcpProbe, validateExpectations, type HttpExpectations } from '../../probes/network.js';
import { classifyPackage, packageProbe } from '../../probes/package.js';
import type { ProbeResult } from '../../probes/types.js';
import { unitProbe } from '../../probes/unit.js';
import { UsageError, errorMessage } from '../errors.js';
import { startMachine } from './machine.js';
import type { ImageReport } from './report.js';

export interface ProbeSpec {
  packages: string[];
  units: string[];
  network: string[];
  commands: string[];
  http: HttpExpectations;
  timeoutMs: number;
  bootTimeoutSeconds: number;
}

/** Check the spec before starting anything: bad input is a usage error, not a failed probe. */
export function validateSpec(spec: ProbeSpec): void {
  for (const p of spec.packages) classifyPackage(p);
  for (const u of spec.network) {
    if (!/^(https?|tcp):\/\/[^\s/]/.test(u)) throw new UsageError(`invalid --check-network ${JSON.stringify(u)}: use http(s)://… or tcp://HOST:PORT`);
  }
  validateExpectations(spec.http);
}

async function download(url: string, dest: string): Promise<void> {
  const [{ default: got }, { default: pRetry }] = await Promise.all([import('got'), import('p-retry')]);
  await pRetry(() => pipeline(got.stream(url, { retry: { limit: 0 }, timeout: { request: 300_000 } }), createWriteStream(dest)), {
    retries: 3,
    minTimeout: 500,
  });
}

export async function pkgprobe(ctx: Context, image: string, spec: ProbeSpec, status?: (l: string) => void): Promise<ImageReport> {
  const started = performance.now();
  const report = (probes: ProbeResult[], error?: string): ImageReport => ({
    image,
    ok: !error && probes.every((p) => p.ok),
    durationMs: Math.round(performance.now() - started),
    probes,
    ...(error ? { error } : {}),
  });
  let machine;
  try {
    machine = await startMachine(ctx, image, { bootTimeoutSeconds: spec.bootTimeoutSeconds, ...(status ? { status } : {}) });
  } catch (err) {
    return report([], errorMessage(err));
  }
  const probes: ProbeResult[] = [];
  try {
    for (const p of spec.packages) probes.push(await packageProbe(machine, p, { download }));
    for (const u of spec.units) probes.push(await unitProbe(machine, u, spec.timeoutMs));
    for (const n of spec.network) {
      probes.push(n.startsWith('tcp://') ? await tcpProbe(n, spec.timeoutMs) : await httpProbe(machine, n, spec.http, spec.timeoutMs));
    }
    for (const c of spec.commands) probes.push(await commandProbe(machine, c));
  } finally {
    await machine.remove();
  }
  return report(probes);
}

/** The resource flags `run`, `create` and `update` share (doc/resources.md), and their parsing. */
import type { Options } from 'yargs';
import { parseBytes, parseCpus, parseSwap, type Resources } from '../../lib/container/limits.js';
import { UsageError } from '../../lib/errors.js';

export const resourceOptions = {
  memory: { alias: 'm', type: 'string', describe: 'Memory limit (e.g. 64m, 1g)' },
  'memory-swap': { type: 'string', describe: "Memory plus swap limit: a size, or -1 for unlimited swap (default: twice --memory)" },
  cpus: { type: 'string', describe: 'Number of CPUs (e.g. 1.5)' },
  'cpu-shares': { alias: 'c', type: 'number', describe: 'CPU shares (relative weight, default 1024)' },
  'cpu-quota': { type: 'number', describe: 'Limit CPU CFS quota (µs per period)' },
  'cpu-period': { type: 'number', describe: 'Limit CPU CFS period (µs)' },
  'cpuset-cpus': { type: 'string', describe: 'CPUs in which to allow execution (0-3, 0,1)' },
  'pids-limit': { type: 'number', describe: 'Tune container pids limit (-1 for unlimited)' },
} as const satisfies Record<string, Options>;

export interface ResourceArgs {
  memory?: string;
  'memory-swap'?: string;
  cpus?: string;
  'cpu-shares'?: number;
  'cpu-quota'?: number;
  'cpu-period'?: number;
  'cpuset-cpus'?: string;
  'pids-limit'?: number;
}

function int(v: number | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v)) throw new UsageError(`invalid argument for "${flag}" flag: not an integer`);
  return v;
}

/** Only the flags given; undefined when none was. */
export function resourcesFromArgs(a: ResourceArgs): Resources | undefined {
  const r: Resources = {};
  if (a.memory !== undefined) r.memory = parseBytes(a.memory, '--memory');
  if (a['memory-swap'] !== undefined) r.memorySwap = parseSwap(a['memory-swap']);
  if (a.cpus !== undefined) r.nanoCpus = parseCpus(a.cpus);
  const shares = int(a['cpu-shares'], '--cpu-shares');
  if (shares !== undefined) r.cpuShares = shares;
  const quota = int(a['cpu-quota'], '--cpu-quota');
  if (quota !== undefined) r.cpuQuota = quota;
  const period = int(a['cpu-period'], '--cpu-period');
  if (period !== undefined) r.cpuPeriod = period;
  if (a['cpuset-cpus'] !== undefined) r.cpusetCpus = a['cpuset-cpus'];
  const pids = int(a['pids-limit'], '--pids-limit');
  if (pids !== undefined) r.pidsLimit = pids;
  return Object.keys(r).length ? r : undefined;
}

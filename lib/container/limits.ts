/**
 * Resource limits as docker has them (HostConfig's Memory, NanoCpus, …): parsing the CLI's
 * values, checking them with docker's messages, and which cgroup file gets which value.
 * Pure: cgroup.ts does the writes.
 */
import { UsageError } from '../errors.js';

/** docker's units: bytes, nanoCPUs, microseconds; absent = not set. */
export interface Resources {
  memory?: number;
  /** Memory + swap; -1 unlimited. */
  memorySwap?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  /** ≤ 0: unlimited. */
  pidsLimit?: number;
}

export const RESOURCE_KEYS = ['memory', 'memorySwap', 'nanoCpus', 'cpuShares', 'cpuQuota', 'cpuPeriod', 'cpusetCpus', 'pidsLimit'] as const;

/** HostConfig's field for each. */
export const HOST_CONFIG_FIELDS: Record<keyof Resources, string> = {
  memory: 'Memory',
  memorySwap: 'MemorySwap',
  nanoCpus: 'NanoCpus',
  cpuShares: 'CpuShares',
  cpuQuota: 'CpuQuota',
  cpuPeriod: 'CpuPeriod',
  cpusetCpus: 'CpusetCpus',
  pidsLimit: 'PidsLimit',
};

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker's RAMInBytes: "64m", "1g", "512k", "1024" (binary units, case-insensitive, optional trailing b). */
export function parseBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid argument "${text}" for "${flag}" flag: invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** --memory-swap: a size or -1. */
export function parseSwap(text: string): number {
  return text.trim() === '-1' ? -1 : parseBytes(text, '--memory-swap');
}

/** --cpus 1.5 → 1500000000 NanoCpus. */
export function parseCpus(text: string): number {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !Number.isFinite(n)) throw new UsageError(`invalid argument "${text}" for "--cpus" flag: failed to parse ${text} as a rational number`);
  return Math.round(n * 1e9);
}

function integer(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new UsageError(`${field} must be an integer`);
  return v;
}

/** From a HostConfig (create or update body): only the fields given; 0 counts as not set, as in docker. */
export function resourcesFromHostConfig(host: Record<string, unknown>): Resources {
  const r: Resources = {};
  for (const key of RESOURCE_KEYS) {
    const v = host[HOST_CONFIG_FIELDS[key]];
    if (v === undefined || v === null) continue;
    if (key === 'cpusetCpus') {
      if (typeof v !== 'string') throw new UsageError('CpusetCpus must be a string');
      if (v !== '') r.cpusetCpus = v;
    } else {
      const n = integer(v, HOST_CONFIG_FIELDS[key]);
      if (n !== 0) r[key] = n;
    }
  }
  return r;
}

/** The HostConfig fields inspect shows (docker reports every one, 0 or "" when unset). */
export function hostConfigOf(r: Resources | undefined): Record<string, unknown> {
  return {
    Memory: r?.memory ?? 0,
    MemorySwap: r?.memorySwap ?? 0,
    NanoCpus: r?.nanoCpus ?? 0,
    CpuShares: r?.cpuShares ?? 0,
    CpuQuota: r?.cpuQuota ?? 0,
    CpuPeriod: r?.cpuPeriod ?? 0,
    CpusetCpus: r?.cpusetCpus ?? '',
    PidsLimit: r?.pidsLimit ?? null,
  };
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** docker's checks, with its messages. `r` is the whole set (after an update, the merged one). */
export function validateResources(r: Resources, onlineCpus: number): void {
  if (r.memory !== undefined && r.memory > 0 && r.memory < MIN_MEMORY) throw new UsageError('Minimum memory limit allowed is 6MB');
  if (r.memory !== undefined && r.memory < 0) throw new UsageError('invalid memory limit: it must be positive');
  if (r.memorySwap !== undefined && r.memorySwap !== -1) {
    if (r.memorySwap < 0) throw new UsageError('invalid memory-swap limit: it must be -1 or a size');
    if (!r.memory) throw new UsageError('You should always set the Memory limit when using Memoryswap limit, see usage');
    if (r.memorySwap < r.memory) throw new UsageError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.nanoCpus !== undefined && (r.cpuQuota !== undefined || r.cpuPeriod !== undefined)) {
    throw new UsageError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (r.nanoCpus !== undefined && (r.nanoCpus < 0 || r.nanoCpus > onlineCpus * 1e9)) {
    throw new UsageError(`Range of CPUs is from 0.01 to ${onlineCpus}.00, as there are only ${onlineCpus} CPUs available`);
  }
  if (r.cpuPeriod !== undefined && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) throw new UsageError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (r.cpuQuota !== undefined && r.cpuQuota !== -1 && r.cpuQuota < 1000) throw new UsageError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.cpuShares !== undefined && r.cpuShares < 0) throw new UsageError('invalid CPU shares: it must be positive');
  if (r.cpusetCpus !== undefined) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(r.cpusetCpus)) throw new UsageError(`Invalid value ${r.cpusetCpus} for cpuset cpus`);
    const highest = Math.max(...r.cpusetCpus.split(/[,-]/).map(Number));
    if (highest >= onlineCpus) throw new UsageError(`Requested CPUs are not available - requested ${r.cpusetCpus}, available: 0-${onlineCpus - 1}`);
  }
}

/** An update: the given fields replace the old ones (docker: MemorySwap follows a new Memory unless given). */
export function mergeResources(old: Resources | undefined, change: Resources): Resources {
  const merged: Resources = { ...old, ...change };
  // A new --memory with the old default swap (twice the memory) keeps that default.
  if (change.memory !== undefined && change.memorySwap === undefined && old?.memorySwap === undefined) delete merged.memorySwap;
  // --cpus replaces quota and period, and the other way round.
  if (change.nanoCpus !== undefined) {
    delete merged.cpuQuota;
    delete merged.cpuPeriod;
  }
  if (change.cpuQuota !== undefined || change.cpuPeriod !== undefined) delete merged.nanoCpus;
  return merged;
}

export function hasResources(r: Resources | undefined): boolean {
  return r !== undefined && RESOURCE_KEYS.some((k) => r[k] !== undefined);
}

/** One write: `value` into `file` of the container's cgroup in hierarchy `controller` (v2: the one directory). */
export interface CgroupWrite {
  controller: 'memory' | 'cpu' | 'cpuset' | 'pids';
  file: string;
  value: string;
}

const DEFAULT_PERIOD = 100_000;

/** The quota in µs per period, or undefined for no quota. */
function quotaOf(r: Resources): { quota: number | undefined; period: number } {
  const period = r.cpuPeriod ?? DEFAULT_PERIOD;
  if (r.nanoCpus) return { quota: Math.round((r.nanoCpus * period) / 1e9), period };
  return { quota: r.cpuQuota !== undefined && r.cpuQuota > 0 ? r.cpuQuota : undefined, period };
}

/** docker's default swap: as much as the memory (MemorySwap = 2 × Memory). */
function swapTotal(r: Resources): number | undefined {
  if (!r.memory) return undefined;
  if (r.memorySwap === -1) return -1;
  return r.memorySwap ?? 2 * r.memory;
}

/**
 * The writes for a complete set of limits (unset ones written back to unlimited, so an update
 * that removes one takes effect). Order matters in v1: the memory+swap limit must never be
 * below the memory limit, so it is lifted first and set last.
 */
export function limitWrites(version: 1 | 2, r: Resources): CgroupWrite[] {
  const { quota, period } = quotaOf(r);
  const out: CgroupWrite[] = [];
  const swap = swapTotal(r);
  if (version === 1) {
    out.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: '-1' });
    out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: r.memory ? String(r.memory) : '-1' });
    if (swap !== undefined && swap !== -1) out.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(swap) });
    out.push({ controller: 'cpu', file: 'cpu.shares', value: String(r.cpuShares || 1024) });
    out.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(period) });
    out.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: quota === undefined ? '-1' : String(quota) });
  } else {
    out.push({ controller: 'memory', file: 'memory.max', value: r.memory ? String(r.memory) : 'max' });
    out.push({ controller: 'memory', file: 'memory.swap.max', value: swap === undefined || swap === -1 ? 'max' : String(swap - r.memory!) });
    out.push({ controller: 'cpu', file: 'cpu.weight', value: String(cpuWeight(r.cpuShares || 1024)) });
    out.push({ controller: 'cpu', file: 'cpu.max', value: `${quota === undefined ? 'max' : quota} ${period}` });
  }
  if (r.cpusetCpus !== undefined) out.push({ controller: 'cpuset', file: 'cpuset.cpus', value: r.cpusetCpus });
  out.push({ controller: 'pids', file: 'pids.max', value: r.pidsLimit && r.pidsLimit > 0 ? String(r.pidsLimit) : 'max' });
  return out;
}

/** runc's mapping of cpu.shares (2–262144) to cpu.weight (1–10000). */
export function cpuWeight(shares: number): number {
  const s = Math.min(Math.max(shares, 2), 262144);
  return Math.floor(1 + ((s - 2) * 9999) / 262142);
}

/** The same limits as systemd unit properties, for a machine nspawn registers (its scope). */
export function nspawnProperties(r: Resources): string[] {
  const props: string[] = [];
  const { quota, period } = quotaOf(r);
  const swap = swapTotal(r);
  if (r.memory) props.push(`MemoryMax=${r.memory}`);
  if (swap !== undefined) props.push(`MemorySwapMax=${swap === -1 ? 'infinity' : swap - r.memory!}`);
  if (r.cpuShares) props.push(`CPUWeight=${cpuWeight(r.cpuShares)}`);
  if (quota !== undefined) {
    props.push(`CPUQuota=${((quota / period) * 100).toFixed(0)}%`);
    props.push(`CPUQuotaPeriodSec=${period}us`);
  }
  if (r.cpusetCpus !== undefined) props.push(`AllowedCPUs=${r.cpusetCpus}`);
  if (r.pidsLimit && r.pidsLimit > 0) props.push(`TasksMax=${r.pidsLimit}`);
  return props.map((p) => `--property=${p}`);
}

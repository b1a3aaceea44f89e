/**
 * `stats`: docker's ContainerStats JSON from the container's cgroup files (v1 or v2) and its
 * network namespace's /proc/<PID 1>/net/dev, and the CLI's table figures from two of them.
 * Parsing and arithmetic are pure; `sampleContainer` does the reads.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { dirOf, type CgroupPlace } from './cgroup.js';
import { liveState, type ContainerRecord } from './record.js';

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat). */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A limit file: a number, or "max"/v1's huge "unlimited" as undefined. */
export function parseLimit(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n < 2 ** 62 ? n : undefined;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** v1 blkio.throttle.io_service_bytes_recursive: "8:0 Read 4096" lines. */
export function parseBlkioV1(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!.toLowerCase(), value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 …" as docker's read/write entries. */
export function parseIoStatV2(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const kv = Object.fromEntries(m[3]!.split(' ').map((p) => p.split('=') as [string, string]));
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: 'read', value: Number(kv.rbytes ?? 0) });
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: 'write', value: Number(kv.wbytes ?? 0) });
  }
  return out;
}

export interface NetCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** /proc/PID/net/dev of the container's namespace, without loopback (docker lists eth0, eth1, …). */
export function parseNetDev(text: string): Record<string, NetCounters> {
  const out: Record<string, NetCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = { rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!, tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]! };
  }
  return out;
}

/** /proc/stat's first line in nanoseconds (USER_HZ 100), as dockerd's system_cpu_usage. */
export function systemCpuNs(procStat: string): number {
  const first = procStat.split('\n')[0] ?? '';
  const ticks = first.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return ticks * 1e7;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The raw files of one sample (undefined where the host has no such file). */
export interface RawSample {
  version: 1 | 2;
  read: string;
  files: Record<string, string | undefined>;
  procStat: string;
  netDev?: string;
}

function cpuStats(raw: RawSample | undefined): Record<string, unknown> {
  if (!raw) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const f = raw.files;
  const online = availableParallelism();
  if (raw.version === 1) {
    const acct = parseKeyValues(f['cpuacct.stat'] ?? '');
    const cpu = parseKeyValues(f['cpu.stat'] ?? '');
    const percpu = (f['cpuacct.usage_percpu'] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    return {
      cpu_usage: { total_usage: Number((f['cpuacct.usage'] ?? '0').trim()), percpu_usage: percpu, usage_in_kernelmode: (acct.system ?? 0) * 1e7, usage_in_usermode: (acct.user ?? 0) * 1e7 },
      system_cpu_usage: systemCpuNs(raw.procStat),
      online_cpus: online,
      throttling_data: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: cpu.throttled_time ?? 0 },
    };
  }
  const cpu = parseKeyValues(f['cpu.stat'] ?? '');
  return {
    cpu_usage: { total_usage: (cpu.usage_usec ?? 0) * 1000, usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000, usage_in_usermode: (cpu.user_usec ?? 0) * 1000 },
    system_cpu_usage: systemCpuNs(raw.procStat),
    online_cpus: online,
    throttling_data: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 },
  };
}

/** docker's ContainerStats for one sample and the one before (precpu_stats), or zeros for a stopped container. */
export function statsJson(record: ContainerRecord, raw: RawSample | undefined, pre: RawSample | undefined, hostMemory: number): Record<string, unknown> {
  const f = raw?.files ?? {};
  const v1 = raw?.version === 1;
  const limit = parseLimit(v1 ? f['memory.limit_in_bytes'] : f['memory.max']);
  const blkio = raw ? (v1 ? parseBlkioV1(f['blkio.throttle.io_service_bytes_recursive'] ?? '') : parseIoStatV2(f['io.stat'] ?? '')) : [];
  return {
    read: raw?.read ?? ZERO_TIME,
    preread: pre?.read ?? ZERO_TIME,
    pids_stats: raw ? { current: Number((f['pids.current'] ?? '0').trim()), ...(parseLimit(f['pids.max']) !== undefined ? { limit: parseLimit(f['pids.max']) } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: raw ? blkio : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(raw),
    precpu_stats: cpuStats(pre),
    memory_stats: raw
      ? {
          usage: Number(((v1 ? f['memory.usage_in_bytes'] : f['memory.current']) ?? '0').trim()),
          ...(v1 ? { max_usage: Number((f['memory.max_usage_in_bytes'] ?? '0').trim()) } : {}),
          stats: parseKeyValues(f['memory.stat'] ?? ''),
          limit: Math.min(limit ?? hostMemory, hostMemory),
        }
      : {},
    name: `/${record.name}`,
    id: record.id,
    ...(raw?.netDev !== undefined ? { networks: parseNetDev(raw.netDev) } : {}),
  };
}

/** The files each version's sample reads, by controller. */
const V1_FILES: [string, string][] = [
  ['cpuacct', 'cpuacct.usage'],
  ['cpuacct', 'cpuacct.usage_percpu'],
  ['cpuacct', 'cpuacct.stat'],
  ['cpu', 'cpu.stat'],
  ['memory', 'memory.usage_in_bytes'],
  ['memory', 'memory.max_usage_in_bytes'],
  ['memory', 'memory.limit_in_bytes'],
  ['memory', 'memory.stat'],
  ['pids', 'pids.current'],
  ['pids', 'pids.max'],
  ['blkio', 'blkio.throttle.io_service_bytes_recursive'],
];
const V2_FILES = ['cpu.stat', 'memory.current', 'memory.max', 'memory.stat', 'pids.current', 'pids.max', 'io.stat'];

function readOrNothing(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** One sample of a running container; undefined when it isn't running or has no cgroup. */
export function sampleContainer(record: ContainerRecord, now: Date): RawSample | undefined {
  const s = liveState(record);
  const place: CgroupPlace | undefined = s.cgroup;
  if (s.status !== 'running' || !place) return undefined;
  const files: Record<string, string | undefined> = {};
  const list = place.version === 1 ? V1_FILES : V2_FILES.map((f) => ['unified', f] as [string, string]);
  for (const [controller, file] of list) {
    const dir = dirOf(place, controller);
    files[file] = dir ? readOrNothing(path.join(dir, file)) : undefined;
  }
  return {
    version: place.version,
    read: now.toISOString(),
    files,
    procStat: readOrNothing('/proc/stat') ?? '',
    ...(s.leaderPid ? { netDev: readOrNothing(`/proc/${s.leaderPid}/net/dev`) ?? '' } : {}),
  };
}

export function hostMemory(): number {
  return totalmem();
}

// ---- the CLI's figures (docker's formatter) ----

/** Go's %.Ng: N significant digits, trailing zeros dropped. */
function sig(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}

/** docker's units.BytesSize: binary units, 4 significant digits ("64MiB", "1.203MiB"). */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${sig(n, 4)}${units[i]}`;
}

/** docker's units.HumanSizeWithPrecision(n, 3): decimal units ("1.2kB", "0B"). */
export function humanSize3(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${sig(n, 3)}${units[i]}`;
}

export interface StatsRow {
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

interface StatsLike {
  id: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, NetCounters>;
  blkio_stats: { io_service_bytes_recursive: BlkioEntry[] | null };
  pids_stats: { current?: number };
}

/** One row of the table, computed as the docker CLI does from a stats answer. */
export function statsRow(container: string, s: StatsLike): StatsRow {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const online = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const m = s.memory_stats;
  // The CLI leaves out the page cache that could be reclaimed (v1 total_inactive_file, v2 inactive_file).
  const inactive = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  const usage = m.usage !== undefined && inactive < m.usage ? m.usage - inactive : (m.usage ?? 0);
  const limit = m.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let written = 0;
  for (const b of s.blkio_stats.io_service_bytes_recursive ?? []) {
    if (b.op === 'read') read += b.value;
    if (b.op === 'write') written += b.value;
  }
  return {
    Container: container,
    ID: s.id.slice(0, 12),
    Name: s.name.replace(/^\//, ''),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(usage)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (usage / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize3(rx)} / ${humanSize3(tx)}`,
    BlockIO: `${humanSize3(read)} / ${humanSize3(written)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  };
}

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export const STATS_DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/**
 * `racker system prune`: every stopped container, and what killed racker processes left
 * behind — overlay mounts no container uses, half-removed container directories, scratch
 * directories, lock files and temporary auth files of dead processes, nspawn's per-machine
 * directories in /run, temporaries of atomic writes cut short.
 * Running containers, and the locks and scratch of live processes, are never touched:
 * every check below is "is its owner dead", made by the helper that owns that kind of state.
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { deadScratch } from '../image/scratch.js';
import { deadTemporaries } from '../state/atomic.js';
import { breakIfStale, withLock } from '../state/lock.js';
import { reapOrphan } from './control.js';
import { listContainers, visibleContainers, liveState, machineName, readContainer, type ContainerRecord } from './record.js';
import { processAlive } from '../exec/procfs.js';
import { removeContainerFiles } from './remove.js';
import { isMounted, unmountRootfs } from './rootfs.js';
import { startLockFile } from './start.js';

export interface PruneReport {
  /** Full IDs of the removed containers (docker's "Deleted Containers:"). */
  containers: string[];
  /** Everything else removed, one line each: "mount …", "scratch …", "lock …", "credentials …", "nspawn dir …"…. */
  leftovers: string[];
  /** Bytes of files deleted (container directories and scratch): docker's "Total reclaimed space". */
  reclaimed: number;
  /** Names of the user networks removed (docker's "Deleted Networks:"). */
  networks: string[];
  /** Images cached from URLs, paths and archives that no container uses ("KEY (SOURCE)"). */
  sources: string[];
  /** Files removed from postroj's package cache (as docker's system prune removes its build cache). */
  packageCacheFiles: number;
}

/** Where systemd-nspawn keeps a directory per machine; one killed -9 leaves its own behind. */
export const NSPAWN_PROPAGATE = '/run/systemd/nspawn/propagate';

/**
 * A created container nobody recorded an owner for (`racker start` writes a fresh state
 * before its supervisor exists) counts as dead only after sitting still this long.
 */
const UNOWNED_GRACE_MS = 60_000;

const ID = /^[a-f0-9]{64}$/;

/** Apparent size of the files under `dir` (each inode once, not crossing into mounts). */
export async function diskUsage(dir: string): Promise<number> {
  const top = await fs.lstat(dir).catch(() => undefined);
  if (!top) return 0;
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st || st.dev !== top.dev) return;
    if (!st.isDirectory()) {
      const key = `${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) return;
      seen.add(key);
      total += st.size;
      return;
    }
    const names = await fs.readdir(p).catch(() => [] as string[]);
    for (const n of names) await walk(path.join(p, n));
  };
  await walk(dir);
  return total;
}

async function ageMs(file: string): Promise<number> {
  const st = await fs.stat(file).catch(() => undefined);
  return st ? Date.now() - st.mtimeMs : 0;
}

/** Exited, or created by a racker that died before starting it. */
async function isStopped(ctx: Context, r: ContainerRecord): Promise<boolean> {
  const s = liveState(r);
  if (s.status === 'exited') return true;
  if (s.status !== 'created') return false;
  // Created by this very process (the Engine API service) and not being started: stopped.
  if (s.supervisorPid === process.pid) return true;
  if (s.supervisorPid) return !processAlive(s.supervisorPid);
  return (await ageMs(ctx.paths.containerMeta(r.id))) > UNOWNED_GRACE_MS;
}

/** Machine names of the systemd-nspawn processes alive on this host (any RACKER_ROOT). */
function liveMachines(): Set<string> {
  const machines = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('systemd-nspawn') || !processAlive(Number(pid))) continue;
    for (const a of argv) if (a.startsWith('--machine=')) machines.add(a.slice('--machine='.length));
  }
  return machines;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

/**
 * Every stopped container (exited, or created and not being started): docker's container
 * prune. Under the start lock, re-checked: a `racker start` may be under way.
 */
export async function pruneStoppedContainers(ctx: Context): Promise<{ ids: string[]; reclaimed: number }> {
  const ids: string[] = [];
  let reclaimed = 0;
  for (const listed of await visibleContainers(ctx)) {
    if (!(await isStopped(ctx, listed))) continue;
    await withLock(startLockFile(ctx, listed.id), async () => {
      const r = await readContainer(ctx.paths, listed.id);
      if (!r || !(await isStopped(ctx, r))) return;
      const size = await diskUsage(ctx.paths.container(r.id));
      await removeContainerFiles(ctx, r.id);
      ids.push(r.id);
      reclaimed += size;
    });
  }
  return { ids, reclaimed };
}

/** The process that left a file named by its PID is this one or still runs: its file is not a leftover. */
function ownerAlive(pid: number): boolean {
  return pid === process.pid || processAlive(pid);
}

export async function pruneSystem(ctx: Context): Promise<PruneReport> {
  const report: PruneReport = { containers: [], leftovers: [], reclaimed: 0, networks: [], sources: [], packageCacheFiles: 0 };
  const { paths } = ctx;

  // Warm machines nothing owns any more (a removed pool, a killed run or refill): lib/pool/.
  if (existsSync(path.join(paths.lib, 'pools'))) {
    const { prunePools } = await import('../pool/manage.js');
    for (const id of await prunePools(ctx)) report.leftovers.push(`pool machine ${id}`);
  }

  // Containers whose racker was killed -9 and whose processes are gone: record their end
  // (a --rm one is removed right away, as its racker would have done).
  for (const r of await listContainers(paths)) {
    if (r.state.status !== 'running' || liveState(r).status === 'running') continue;
    const size = r.config.autoRemove ? await diskUsage(paths.container(r.id)) : 0;
    await reapOrphan(ctx, r.id);
    if (r.config.autoRemove && !existsSync(paths.containerMeta(r.id))) {
      report.containers.push(r.id);
      report.reclaimed += size;
    }
  }

  // Stopped containers.
  const stopped = await pruneStoppedContainers(ctx);
  report.containers.push(...stopped.ids);
  report.reclaimed += stopped.reclaimed;

  // Runtime directories (and overlay mounts) of containers that have no record any more:
  // a racker killed between unmounting and deleting, or `rm` killed half-way.
  for (const id of (await readdirOrEmpty(path.join(paths.run, 'containers'))).filter((n) => ID.test(n))) {
    if (existsSync(paths.containerMeta(id))) continue;
    const rootfs = paths.containerRootfs(id);
    report.leftovers.push(isMounted(rootfs) ? `mount ${rootfs}` : `directory ${path.dirname(rootfs)}`);
    await unmountRootfs(ctx, id);
  }

  // Container directories half-removed (`<id>.removing`) or never completed (no record).
  for (const name of await readdirOrEmpty(paths.containers)) {
    const dir = path.join(paths.containers, name);
    const removing = /^[a-f0-9]{64}\.removing$/.test(name);
    const unrecorded = ID.test(name) && !existsSync(paths.containerMeta(name)) && (await ageMs(dir)) > UNOWNED_GRACE_MS;
    if (!removing && !unrecorded) continue;
    report.reclaimed += await diskUsage(dir);
    await fs.rm(dir, { recursive: true, force: true });
    report.leftovers.push(`container files ${dir}`);
  }

  // Scratch directories of pulls and imports whose process is gone (the same check pulls make).
  for (const dir of await deadScratch(paths)) {
    report.reclaimed += await diskUsage(dir);
    await fs.rm(dir, { recursive: true, force: true });
    report.leftovers.push(`scratch ${dir}`);
  }

  // Locks whose owner is dead (lock.ts decides, as a waiting locker would), and the private
  // files a locker killed mid-way leaves next to them (`NAME.lock.PID-HEX`, `…stale-PID-HEX`).
  for (const name of await readdirOrEmpty(paths.locks)) {
    const file = path.join(paths.locks, name);
    const temp = /\.lock\.(?:stale-)?(\d+)-[a-f0-9]+$/.exec(name);
    if (temp) {
      if (ownerAlive(Number(temp[1]))) continue;
      await fs.rm(file, { force: true });
      report.leftovers.push(`lock ${file}`);
    } else if (name.endsWith('.lock') && existsSync(file) && (await breakIfStale(file)) && !existsSync(file)) {
      report.leftovers.push(`lock ${file}`);
    }
  }

  // Atomic writes cut between the write and the rename: the file itself is whole (old or new).
  for (const file of await deadTemporaries(paths.lib, ownerAlive)) {
    await fs.rm(file, { force: true });
    report.leftovers.push(`temporary ${file}`);
  }

  // Credentials handed to skopeo by a pull that was killed before it could delete them.
  for (const name of await readdirOrEmpty(paths.run)) {
    const m = /^racker-auth-(\d+)-[a-f0-9]+\.json$/.exec(name);
    if (!m || ownerAlive(Number(m[1]))) continue;
    await fs.rm(path.join(paths.run, name), { force: true });
    report.leftovers.push(`credentials ${path.join(paths.run, name)}`);
  }

  // nspawn's per-machine directories of racker machines that no longer run (on this host,
  // whatever RACKER_ROOT started them; rmdir only ever removes an empty one).
  const byMachine = new Map((await listContainers(paths)).map((r) => [machineName(r.id), r]));
  const live = liveMachines();
  for (const name of await readdirOrEmpty(NSPAWN_PROPAGATE)) {
    if (!/^racker-[a-f0-9]{12}$/.test(name) || live.has(name)) continue;
    // A container of this root being started has a record, and maybe no nspawn yet.
    const own = byMachine.get(name);
    if (own && !(await isStopped(ctx, own))) continue;
    const dir = path.join(NSPAWN_PROPAGATE, name);
    if (await fs.rmdir(dir).then(() => true, () => false)) report.leftovers.push(`nspawn dir ${dir}`);
  }

  // Network namespaces (with their veth pairs) of containers whose racker was killed while starting.
  const { reconcileNetworking } = await import('../net/reconcile.js');
  for (const name of await reconcileNetworking(ctx)) report.leftovers.push(`network namespace ${name}`);

  // Networks no container refers to, as docker's system prune removes them.
  const { pruneNetworks } = await import('../net/networks.js');
  report.networks = (await pruneNetworks(ctx)).map((n) => n.name);

  // The cache of run's sources (URLs, tarballs, directories, archives): after the containers
  // above, so the images only stopped containers used go too.
  const { pruneSources } = await import('../image/from-source.js');
  report.sources = await pruneSources(ctx);
  // postroj's package cache: only ever a copy of what the mirrors serve.
  const { clearPackageCache } = await import('../postroj/package-cache/store.js');
  const cache = await clearPackageCache(paths);
  report.packageCacheFiles = cache.files;
  report.reclaimed += cache.bytes;
  return report;
}

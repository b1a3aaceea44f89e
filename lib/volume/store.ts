/**
 * Volumes, as docker's `local` driver keeps them: a directory lib/volumes/<name>/_data that
 * containers bind, with its record beside it (volume.json). Named ones (`-v data:/path`,
 * `racker volume create`) live until removed; anonymous ones (`-v /path`, 64 hex names, made
 * by lib/container/volumes.ts) go with their container's `rm -v`/`--rm`, or with prune.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import type { Paths } from '../state/paths.js';
import type { ContainerRecord } from '../container/record.js';
import { parseVolume } from '../container/spec.js';
import type { Bind } from '../tools/nspawn.js';
import { emit } from '../events/log.js';
import { isMember, ownerOf, type Owner } from '../access/caller.js';
import { checkOwner } from '../access/policy.js';

export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local';
  Options: Record<string, string>;
  /** racker's: made by a member of the service's group (lib/access), whose alone it is. */
  Owner?: Owner;
}

/** docker's rule for volume names (at least two characters). */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const ANONYMOUS = /^[a-f0-9]{64}$/;

export function validateVolumeName(name: string): void {
  if (!NAME.test(name) || name.length > 255) {
    throw new UsageError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`);
  }
}

export function volumesDir(paths: Paths): string {
  return path.join(paths.lib, 'volumes');
}

/** Where a volume's files are; the name is checked first, so it is never a path. */
export function volumeData(paths: Paths, name: string): string {
  if (!NAME.test(name)) throw new UsageError(`invalid volume name ${JSON.stringify(name)}`);
  return path.join(volumesDir(paths), name, '_data');
}

function recordFile(paths: Paths, name: string): string {
  return path.join(volumesDir(paths), name, 'volume.json');
}

/** `data:/srv[:ro]`: the name of a named volume, or undefined for a host path or an anonymous volume. */
export function namedVolumeOf(spec: string): string | undefined {
  const source = spec.split(':', 1)[0]!;
  return spec.includes(':') && NAME.test(source) && !/^\.\.?$/.test(source) ? source : undefined;
}

async function readRecord(paths: Paths, name: string): Promise<VolumeRecord | undefined> {
  const record = await readJson<VolumeRecord | undefined>(recordFile(paths, name), undefined).catch(() => undefined);
  if (record) return record;
  // An anonymous volume made by a container has no record: its directory says when.
  if (!ANONYMOUS.test(name)) return undefined;
  const st = await fs.stat(path.join(volumesDir(paths), name)).catch(() => undefined);
  return st && { Name: name, Driver: 'local', Mountpoint: volumeData(paths, name), CreatedAt: st.mtime.toISOString(), Labels: {}, Scope: 'local', Options: {} };
}

export async function findVolume(paths: Paths, name: string): Promise<VolumeRecord> {
  const record = NAME.test(name) ? await readRecord(paths, name) : undefined;
  if (!record) throw new NotFoundError(`get ${name}: no such volume`);
  return record;
}

export async function listVolumes(paths: Paths): Promise<VolumeRecord[]> {
  const names = await fs.readdir(volumesDir(paths)).catch(() => [] as string[]);
  const records = await Promise.all(names.filter((n) => NAME.test(n)).map((n) => readRecord(paths, n)));
  return records.filter((r): r is VolumeRecord => r !== undefined).sort((a, b) => a.Name.localeCompare(b.Name));
}

/** `volume create`: a new volume, or the one of that name already there (docker answers the same). */
export async function createVolume(ctx: Context, opts: { name?: string; labels?: Record<string, string>; driver?: string }): Promise<VolumeRecord> {
  if (opts.driver !== undefined && opts.driver !== 'local') throw new UsageError(`volume driver ${opts.driver} is not supported: racker has the local driver`);
  const name = opts.name || (await import('node:crypto')).randomBytes(32).toString('hex');
  validateVolumeName(name);
  return withLock(ctx.paths.lock('volumes'), async () => {
    const existing = await readRecord(ctx.paths, name);
    if (existing) return existing;
    await fs.mkdir(volumeData(ctx.paths, name), { recursive: true, mode: 0o755 });
    const record: VolumeRecord = { Name: name, Driver: 'local', Mountpoint: volumeData(ctx.paths, name), CreatedAt: ctx.clock().toISOString(), Labels: opts.labels ?? {}, Scope: 'local', Options: {}, ...(isMember(ctx.caller) ? { Owner: ownerOf(ctx.caller) } : {}) };
    await writeJsonAtomic(recordFile(ctx.paths, name), record);
    emit(ctx, { type: 'volume', action: 'create', id: name, attributes: { driver: 'local' } });
    return record;
  });
}

/** `-v data:/srv[:ro]` as a bind of the volume's directory, the volume made when missing (as docker). */
export async function namedVolumeBind(ctx: Context, spec: string): Promise<Bind> {
  const name = namedVolumeOf(spec)!;
  // The container side and the options are checked as for any -v.
  const bind = parseVolume(`/volume${spec.slice(name.length)}`);
  await createVolume(ctx, { name });
  return { ...bind, host: volumeData(ctx.paths, name), volume: name };
}

/** The containers (any state) whose binds use the volume. */
export function usersOf(paths: Paths, name: string, containers: readonly ContainerRecord[]): ContainerRecord[] {
  const data = path.join(volumesDir(paths), name, '_data');
  return containers.filter((c) => c.config.binds.some((b) => b.volume === name || b.host === data));
}

/** Refused while a container (any state) uses it, as docker; `force` only forgives a missing one. */
export async function removeVolume(ctx: Context, name: string, containers: readonly ContainerRecord[], force = false): Promise<void> {
  try {
    const v = await findVolume(ctx.paths, name);
    checkOwner(ctx.caller, v.Owner, `volume ${name}`);
  } catch (err) {
    if (force && err instanceof NotFoundError) return;
    throw err;
  }
  const users = usersOf(ctx.paths, name, containers);
  if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`, { exitCode: 1 });
  await fs.rm(path.join(volumesDir(ctx.paths), name), { recursive: true, force: true });
  emit(ctx, { type: 'volume', action: 'destroy', id: name, attributes: { driver: 'local' } });
}

/** Volumes no container uses: anonymous ones, and named ones too with `all` (docker ≥ 23's rule). */
export async function pruneVolumes(ctx: Context, containers: readonly ContainerRecord[], all: boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await listVolumes(ctx.paths)) {
    if (!all && !ANONYMOUS.test(v.Name)) continue;
    if (usersOf(ctx.paths, v.Name, containers).length) continue;
    await fs.rm(path.join(volumesDir(ctx.paths), v.Name), { recursive: true, force: true });
    emit(ctx, { type: 'volume', action: 'destroy', id: v.Name, attributes: { driver: 'local' } });
    removed.push(v.Name);
  }
  return removed;
}

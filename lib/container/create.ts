/**
 * racker create/run, first half: find (or pull) the image, turn flags into a container
 * config, give the container an ID and a unique name, write its record.
 */
import { existsSync, promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import { ConflictError, NoSystemdError, NotFoundError, UsageError } from '../errors.js';
import { resolveImageInput } from '../image/names.js';
import { classifySource, isDirectory } from '../image/source.js';
import { findImage, type ImageRecord } from '../image/store.js';
import { withLock } from '../state/lock.js';
import { healthConfigOf, type DockerHealthcheck, type HealthFlags } from './health.js';
import { parseRestartPolicy, type RestartPolicy } from './restart-policy.js';
import type { Bind } from '../tools/nspawn.js';
import {
  hostnameFor,
  listContainers,
  newContainerId,
  validateName,
  writeContainer,
  type ContainerRecord,
  type ShellConfig,
} from './record.js';
import { generateName, mergeEnv, parseEnvFile, parseTmpfs, parseVolume, resolveCommand } from './spec.js';
import { networkSettings } from '../net/settings.js';
import { exposedPorts, type PortSpec } from '../net/ports.js';
import { isMember, ownerOf } from '../access/caller.js';
import { checkCreate, hostEnvFor } from '../access/policy.js';
import { readAsCaller } from '../access/as-caller.js';
import { hasResources, validateResources, type Resources } from './limits.js';
import { availableParallelism } from 'node:os';
import { emit } from '../events/log.js';
import { crashPoint } from '../state/crash-point.js';
import { parsePlatform, samePlatform, type Platform } from '../image/platform.js';
import { checkPlatform } from './foreign.js';

export interface CreateOptions {
  image: string;
  /** --platform (os/arch[/variant]): pull that one; the image must be it. */
  platform?: string;
  args: string[];
  name?: string;
  env?: string[];
  envFiles?: string[];
  workdir?: string;
  user?: string;
  volumes?: string[];
  hostname?: string;
  entrypoint?: string;
  network?: string;
  publish?: string[];
  /** -P: every port the image EXPOSEs, on free host ports. */
  publishAll?: boolean;
  /** Ports the container exposes besides the image's (the Engine API's ExposedPorts), for publishAll. */
  exposedPorts?: Record<string, unknown>;
  networkAliases?: string[];
  ip?: string;
  /** --device-cgroup-rule (HostConfig.DeviceCgroupRules). */
  deviceCgroupRules?: string[];
  /** --link NAME[:ALIAS] (the Engine API's HostConfig.Links). */
  links?: string[];
  /** --mac-address (the Engine API's MacAddress). */
  macAddress?: string;
  dns?: string[];
  addHosts?: string[];
  /** Where warnings go (stderr), like docker's about ports discarded on the host network. */
  warn?: (line: string) => void;
  tty?: boolean;
  interactive?: boolean;
  autoRemove?: boolean;
  detach?: boolean;
  /** true/false force boot or direct mode; undefined: boot when the image has systemd. */
  boot?: boolean;
  pull?: 'always' | 'missing' | 'never';
  /**
   * `image` may be a URL, path or archive (source.ts): racker's CLI and postroj. Not the
   * Engine API, whose Image is a reference (a path there would be the service's, not the client's).
   */
  sources?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  /** --tmpfs PATH[:OPTIONS] */
  tmpfs?: string[];
  init?: boolean;
  /** --restart, or the Engine API's RestartPolicy. */
  restart?: string | RestartPolicy;
  /** --health-* and --no-healthcheck. */
  health?: HealthFlags;
  /** The Engine API's Config.Healthcheck (its fields override the image's). */
  healthcheck?: DockerHealthcheck;
  /** Pull progress and "Unable to find image" go here (stderr), never to stdout. */
  status?: (line: string) => void;
  /** --memory, --cpus, … (limits.ts). */
  resources?: Resources;
  /** A warm machine of this pool (lib/pool/). */
  pool?: { id: string };
  /** Whom a member's host paths belong to inside (racker shell: the caller's account); else the container's user. */
  bindsAs?: { uid: number; gid: number };
  /** Binds already parsed (racker shell's desktop: lib/shell/desktop.ts), after `volumes`'. */
  extraBinds?: Bind[];
  /** What makes it a racker shell (lib/container/shell.ts), kept in its record. */
  shell?: ShellConfig;
  /** Decide everything and pick the name, but write nothing: a warm run (lib/pool/warm-run.ts) adopts a pooled machine instead. */
  dryRun?: boolean;
}

/** --stop-signal (else the image's STOPSIGNAL) and --stop-timeout, checked. */
async function stopSettings(opts: CreateOptions, imageSignal: string | undefined): Promise<{ stopSignal?: string; stopTimeout?: number }> {
  const { normalizeSignal } = await import('./control.js');
  const asked = opts.stopSignal || imageSignal;
  if (opts.stopTimeout !== undefined && (!Number.isInteger(opts.stopTimeout) || opts.stopTimeout < -1)) {
    throw new UsageError(`invalid stop timeout: ${opts.stopTimeout} (seconds, or -1 to wait for ever)`);
  }
  return {
    ...(asked ? { stopSignal: normalizeSignal(asked) } : {}),
    ...(opts.stopTimeout !== undefined ? { stopTimeout: opts.stopTimeout } : {}),
  };
}

async function imageFor(ctx: Context, opts: CreateOptions, platform?: Platform): Promise<ImageRecord> {
  const policy = opts.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(policy)) throw new UsageError(`invalid pull policy: ${policy}`);
  // A URL, path or archive: imported (or reused from the cache) by from-source.ts.
  const source = opts.sources ? classifySource(opts.image, { cwd: process.cwd(), isDirectory }) : undefined;
  if (source && source.kind !== 'reference' && source.kind !== 'label') {
    const { imageFromSource } = await import('../image/from-source.js');
    return (await imageFromSource(ctx, source, { policy: policy as 'always' | 'missing' | 'never', status: opts.status })).record;
  }
  // A label or reference has a tag key; an image ID has none.
  const key = resolveImageInput(opts.image).key;
  const pull = async () => {
    const { pullImageByName } = await import('../image/pull-any.js');
    await pullImageByName(ctx, opts.image, { status: opts.status, progress: opts.status, ...(platform ? { platform } : {}) });
  };
  if (policy === 'always' && key) await pull();
  try {
    const { record } = await findImage(ctx.paths, key, opts.image);
    // The tag holds another platform than the one asked for: pull the one asked for, as docker does.
    if (platform && key && policy !== 'never' && !samePlatform(record, platform)) {
      await pull();
      return (await findImage(ctx.paths, key, opts.image)).record;
    }
    return record;
  } catch (err) {
    if (!(err instanceof NotFoundError) || policy === 'never' || !key) throw err;
  }
  opts.status?.(`Unable to find image '${opts.image}' locally`);
  await pull();
  return (await findImage(ctx.paths, key, opts.image)).record;
}

/**
 * Who a member's host paths belong to inside: the container's user (root unless -u or the
 * image's USER says otherwise), looked up in the image. A name the image lacks fails the run
 * later with its own error; until then, root.
 */
async function containerUser(imageRootfs: string, spec: string | undefined): Promise<{ uid: number; gid: number }> {
  if (!spec) return { uid: 0, gid: 0 };
  const [{ resolveUserInRoot }, { ContainerRoot }] = await Promise.all([import('./lookup.js'), import('../fs/in-root.js')]);
  try {
    const u = ContainerRoot.with(imageRootfs, (root) => resolveUserInRoot(root, spec));
    return { uid: u.uid, gid: u.gid };
  } catch {
    return { uid: 0, gid: 0 };
  }
}

/** The member policy's questions answered for this run (the volumes' owners, the image's kind). */
async function checkMemberCreate(ctx: Context, opts: CreateOptions, networking: { network: string; publish?: PortSpec[] }, volumeNames: string[]): Promise<void> {
  const { findVolume } = await import('../volume/store.js');
  const volumes = await Promise.all(
    volumeNames.map(async (name) => {
      const v = await findVolume(ctx.paths, name).catch(() => undefined);
      return { name, exists: v !== undefined, ...(v?.Owner ? { owner: v.Owner } : {}) };
    }),
  );
  const source = opts.sources ? classifySource(opts.image, { cwd: process.cwd(), isDirectory }) : undefined;
  const hostSource = source && !['reference', 'label', 'url'].includes(source.kind) ? opts.image : undefined;
  checkCreate(ctx.caller, { network: networking.network, volumes, publish: networking.publish ?? [], deviceCgroupRules: opts.deviceCgroupRules ?? [], ...(hostSource ? { hostSource } : {}) });
}

export async function createContainer(ctx: Context, opts: CreateOptions): Promise<ContainerRecord> {
  if (opts.name !== undefined) validateName(opts.name);
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  if (opts.resources) validateResources(opts.resources, availableParallelism());
  if (opts.deviceCgroupRules?.length) {
    const { checkDeviceRule, hostHasDevicesCgroup } = await import('./cgroup.js');
    opts.deviceCgroupRules.forEach(checkDeviceRule);
    if (!hostHasDevicesCgroup()) throw new UsageError('device cgroup rules need a cgroup v1 devices hierarchy, which this host lacks (on cgroup v2 they need a BPF program, which racker does not load)');
  }
  const networking = await networkSettings(ctx, opts);
  const { isAnonymousVolume } = await import('./volumes.js');
  const { namedVolumeBind, namedVolumeOf } = await import('../volume/store.js');
  const specs = (opts.volumes ?? []).filter((v) => !isAnonymousVolume(v));
  // A member of the service's group (ctx.caller) is held to access/policy.ts before anything is made.
  if (isMember(ctx.caller)) await checkMemberCreate(ctx, opts, networking, specs.map(namedVolumeOf).filter((n): n is string => n !== undefined));
  const binds: Bind[] = [];
  for (const spec of specs) binds.push(namedVolumeOf(spec) ? await namedVolumeBind(ctx, spec) : parseVolume(spec));
  binds.push(...(opts.extraBinds ?? []).map((b) => ({ ...b })));
  // A member's host paths are theirs to open and make (access/member-binds.ts, below, once the image's user is known).
  const memberBinds = isMember(ctx.caller) ? binds.filter((b) => !b.volume) : [];
  for (const b of binds) {
    // docker creates a missing host directory for a bind mount (a volume's exists already).
    if (!memberBinds.includes(b) && !b.optional && !existsSync(b.host)) await fs.mkdir(b.host, { recursive: true });
  }
  const fileEnv: string[] = [];
  for (const f of opts.envFiles ?? []) {
    // A member's file is read with their rights, not the service's (access/as-caller.ts).
    const text = await (isMember(ctx.caller) ? readAsCaller(ctx, ctx.caller, f) : fs.readFile(f, 'utf8')).catch(() => {
      throw new NotFoundError(`open ${f}: no such file or directory`);
    });
    fileEnv.push(...parseEnvFile(text, f));
  }
  const { resolveLinks } = await import('./links.js');
  const links = await resolveLinks(ctx, opts.links ?? [], networking.network, opts.name);
  const image = await imageFor(ctx, opts, platform);
  checkPlatform(image, opts.image, platform, opts.warn);
  if (memberBinds.length && isMember(ctx.caller)) {
    const { checkMemberBind } = await import('../access/member-binds.js');
    const inside = opts.bindsAs ?? (await containerUser(ctx.paths.imageRootfs(image.id), opts.user || image.config.User));
    for (const b of memberBinds) {
      b.asUser = { hostUid: ctx.caller.uid, hostGid: ctx.caller.gid, ...inside };
      // An optional bind (a desktop socket directory) is checked at each start instead.
      if (!b.optional) await checkMemberBind({ ...b, asUser: b.asUser });
    }
  }
  if (opts.publishAll && networking.network !== 'host' && networking.network !== 'none') {
    const asked = new Set((networking.publish ?? []).map((p) => `${p.containerPort}/${p.protocol}`));
    const exposed = exposedPorts({ ...image.config.ExposedPorts, ...opts.exposedPorts }).filter((p) => !asked.has(`${p.containerPort}/${p.protocol}`));
    networking.publish = [...(networking.publish ?? []), ...exposed];
  }
  const boot = opts.boot ?? image.systemd;
  if (boot && !image.systemd) {
    throw new NoSystemdError(`image ${opts.image} has no systemd, so it can't boot (run it with --no-boot)`);
  }
  let command = resolveCommand(image.config, opts.entrypoint, opts.args);
  // A detached system container without an explicit command just runs systemd.
  if (boot && opts.detach && !opts.args.length && opts.entrypoint === undefined) command = [];
  // `run -it` of a system image without a command: a login shell, whatever Cmd says
  // (an image's Cmd is written for docker, where it is PID 1; here systemd is).
  if (boot && opts.tty && opts.interactive && !opts.detach && !opts.args.length && opts.entrypoint === undefined) {
    const [{ shellInRoot }, { ContainerRoot }] = await Promise.all([import('./lookup.js'), import('../fs/in-root.js')]);
    command = [ContainerRoot.with(ctx.paths.imageRootfs(image.id), (root) => shellInRoot(root)), '-l'];
  }
  if (!boot && !command.length) throw new UsageError('no command specified');
  if (boot && !command.length && !opts.detach) throw new UsageError('no command specified (use -d for a system container without one)');

  const env = mergeEnv(image.config.Env ?? [], [...fileEnv, ...(opts.env ?? [])], hostEnvFor(ctx.caller, ctx.env));
  const stopping = await stopSettings(opts, image.config.StopSignal);
  const tmpfs = (opts.tmpfs ?? []).map(parseTmpfs);
  const restartPolicy = typeof opts.restart === 'string' ? parseRestartPolicy(opts.restart) : opts.restart;
  if (restartPolicy && restartPolicy.name !== 'no' && opts.autoRemove) throw new UsageError('conflicting options: cannot specify both --restart and --rm');
  const healthcheck = healthConfigOf(image.config.Healthcheck, opts.health ?? {}, opts.healthcheck);
  const id = newContainerId();
  const { createAnonymousVolumes, fillFromImage, removeAnonymousVolumes } = await import('./volumes.js');
  const imageRootfs = ctx.paths.imageRootfs(image.id);
  // A named volume still empty gets the image's files too, as in docker (its first use).
  for (const b of binds) if (b.volume && !(await fs.readdir(b.host)).length) await fillFromImage(ctx, imageRootfs, b.container, b.host);
  const anonymous = await createAnonymousVolumes(ctx, (opts.volumes ?? []).filter(isAnonymousVolume), imageRootfs);
  binds.push(...anonymous.binds);
  // A refused name must not leave the volumes just made behind.
  return withLock(ctx.paths.lock('names'), async () => {
    const existing = await listContainers(ctx.paths);
    const taken = new Set(existing.map((c) => c.name));
    let name: string;
    if (opts.name !== undefined) {
      name = opts.name;
      const holder = existing.find((c) => c.name === name);
      if (holder) {
        await removeAnonymousVolumes(ctx, anonymous.names);
        throw new ConflictError(
          `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    } else {
      do name = generateName();
      while (taken.has(name));
    }
    const record: ContainerRecord = {
      id,
      name,
      created: ctx.clock().toISOString(),
      image: { id: image.id, name: opts.image },
      config: {
        imageName: opts.image,
        imageId: image.id,
        command,
        env,
        ...(opts.workdir || image.config.WorkingDir ? { workingDir: opts.workdir || image.config.WorkingDir } : {}),
        ...(opts.user || image.config.User ? { user: opts.user || image.config.User } : {}),
        hostname: opts.hostname ?? hostnameFor(name),
        tty: Boolean(opts.tty),
        interactive: Boolean(opts.interactive),
        binds,
        ...networking,
        ...(links.length ? { links } : {}),
        boot,
        autoRemove: Boolean(opts.autoRemove),
        ...stopping,
        ...(tmpfs.length ? { tmpfs } : {}),
        ...(opts.init ? { init: true } : {}),
        ...(healthcheck ? { healthcheck } : {}),
        ...(restartPolicy && restartPolicy.name !== 'no' ? { restartPolicy } : {}),
        ...(anonymous.names.length ? { anonymousVolumes: anonymous.names } : {}),
        ...(hasResources(opts.resources) ? { resources: opts.resources } : {}),
        ...(opts.deviceCgroupRules?.length ? { deviceCgroupRules: opts.deviceCgroupRules } : {}),
        ...(opts.shell ? { shell: opts.shell } : {}),
      },
      // The racker that goes on to start it (a foreground run, or the one waiting for a
      // -d supervisor): `system prune` removes a created container only once it is dead.
      state: { status: 'created', supervisorPid: process.pid },
      ...(opts.pool ? { pool: opts.pool } : {}),
      ...(isMember(ctx.caller) ? { owner: ownerOf(ctx.caller) } : {}),
    };
    if (opts.dryRun) return record;
    crashPoint('create:volumes');
    await writeContainer(ctx.paths, record);
    emit(ctx, { type: 'container', action: 'create', container: record });
    return record;
  });
}

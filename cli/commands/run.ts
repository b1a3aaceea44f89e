import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule, Options } from 'yargs';
import type { CreateOptions } from '../../lib/container/create.js';
import { UsageError } from '../../lib/errors.js';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, missingArguments, out, requireTerminalForIt, type GlobalArgs } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';
import { resourceOptions, resourcesFromArgs, type ResourceArgs } from './resources.js';

export const runOptions = {
  interactive: { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' },
  tty: { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  detach: { alias: 'd', type: 'boolean', describe: 'Run in the background and print the container ID' },
  rm: { type: 'boolean', describe: 'Remove the container when it exits' },
  name: { type: 'string', describe: 'Assign a name to the container' },
  env: { alias: 'e', type: 'string', array: true, describe: 'Set environment variables (KEY=VALUE, or KEY to pass the host value)' },
  'env-file': { type: 'string', array: true, describe: 'Read environment variables from a file' },
  workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  user: { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  volume: { alias: 'v', type: 'string', array: true, describe: 'Bind mount HOST-PATH:CONTAINER-PATH[:ro]' },
  hostname: { type: 'string', describe: 'Container host name (default: the container name)' },
  entrypoint: { type: 'string', describe: "Overwrite the image's ENTRYPOINT" },
  network: { alias: 'net', type: 'string', describe: 'bridge (the default), host, none, or a network made with racker network create' },
  publish: { alias: 'p', type: 'string', array: true, describe: "Publish a container's port on the host: [IP:][HOSTPORT:]PORT[/tcp|/udp], ranges too" },
  'publish-all': { alias: 'P', type: 'boolean', describe: 'Publish every port the image exposes on a free host port' },
  'network-alias': { type: 'string', array: true, describe: 'Another name the container has on a user network' },
  ip: { type: 'string', describe: 'IPv4 address on a user network (e.g., 10.90.0.20)' },
  'device-cgroup-rule': { type: 'string', array: true, describe: "Add a rule to the container's devices cgroup (e.g. 'c 7:128 rwm'; cgroup v1 hosts)" },
  link: { type: 'string', array: true, describe: 'Add a legacy link to another container: NAME[:ALIAS]' },
  'mac-address': { type: 'string', describe: 'MAC address of the container\'s interface (e.g., 92:d0:c6:0a:29:33)' },
  dns: { type: 'string', array: true, describe: 'Nameserver for the container (instead of the host\'s)' },
  'add-host': { type: 'string', array: true, describe: 'Add a line to /etc/hosts: NAME:IP' },
  pull: { type: 'string', choices: ['always', 'missing', 'never'], describe: 'Pull image before running (default missing)' },
  platform: { type: 'string', describe: 'Set platform if the image is multi-platform (e.g. linux/arm64; foreign ones run emulated by qemu-user-static)' },
  boot: { type: 'boolean', describe: 'Boot systemd in the container (default: when the image has systemd)' },
  'no-boot': { type: 'boolean', describe: "Run the command as the container's first process, like docker" },
  'boot-timeout': { type: 'number', default: 60, describe: 'Seconds to wait for systemd to finish booting' },
  'stop-signal': { type: 'string', describe: "Signal to stop the container (default SIGTERM, or the image's STOPSIGNAL)" },
  'stop-timeout': { type: 'number', describe: 'Seconds stop waits before killing the container (default 10; -1: for ever)' },
  tmpfs: { type: 'string', array: true, describe: 'Mount a fresh tmpfs: PATH[:OPTIONS] (e.g. /run:rw,size=64m)' },
  'health-cmd': { type: 'string', describe: 'Command to run to check health (run by /bin/sh -c in the container)' },
  'health-interval': { type: 'string', describe: 'Time between checks (e.g. 30s, 1m; default 30s)' },
  'health-timeout': { type: 'string', describe: 'Longest a check may run before it counts as failed (default 30s)' },
  'health-start-period': { type: 'string', describe: "Time in which failures don't count while the container starts (default 0s)" },
  'health-retries': { type: 'number', describe: 'Failures in a row that make it unhealthy (default 3)' },
  'no-healthcheck': { type: 'boolean', describe: "Disable the image's HEALTHCHECK" },
  restart: { type: 'string', describe: 'Restart policy: no, always, unless-stopped, on-failure[:max-retries] (racker restarts while the container\'s supervisor lives: not after a reboot)' },
  init: { type: 'boolean', describe: 'Run tini as PID 1, which reaps zombies and forwards signals (direct mode; systemd is init in boot mode)' },
  ...resourceOptions,
} as const satisfies Record<string, Options>;

export const runValueOptions = valueOptionsOf(runOptions);

/** run's own (not create's): a pooled machine serves a foreground `run --rm` only (doc/warm-pool.md). */
const warmOptions = {
  warm: { type: 'boolean', describe: "Run on a warm machine of the image's pool (racker pool create), waiting for one; an error when the run's options rule it out" },
  'no-warm': { type: 'boolean', describe: 'Boot a machine of its own even when the image has a pool' },
} as const satisfies Record<string, Options>;

export type RunArgs = Args;

type Args = GlobalArgs & ResourceArgs & {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  rm?: boolean;
  name?: string;
  env?: string[];
  'env-file'?: string[];
  workdir?: string;
  user?: string;
  volume?: string[];
  hostname?: string;
  entrypoint?: string;
  network?: string;
  publish?: string[];
  'publish-all'?: boolean;
  'network-alias'?: string[];
  ip?: string;
  'mac-address'?: string;
  link?: string[];
  'device-cgroup-rule'?: string[];
  dns?: string[];
  'add-host'?: string[];
  pull?: 'always' | 'missing' | 'never';
  platform?: string;
  boot?: boolean;
  'no-boot'?: boolean;
  'boot-timeout': number;
  'stop-signal'?: string;
  'stop-timeout'?: number;
  tmpfs?: string[];
  init?: boolean;
  restart?: string;
  'health-cmd'?: string;
  'health-interval'?: string;
  'health-timeout'?: string;
  'health-start-period'?: string;
  'health-retries'?: number;
  'no-healthcheck'?: boolean;
};

/** run's (and create's) flags as createContainer's options: one mapping, so neither drops a flag. */
export function containerOptions(args: Omit<Args, 'detach' | 'boot-timeout'>, image: string, command: string[], o: { detach?: boolean }): CreateOptions {
  return {
    image,
    args: command,
    name: args.name,
    env: args.env,
    envFiles: args['env-file'],
    workdir: args.workdir,
    user: args.user,
    volumes: args.volume,
    hostname: args.hostname,
    entrypoint: args.entrypoint,
    network: args.network,
    publish: args.publish,
    publishAll: args['publish-all'],
    networkAliases: args['network-alias'],
    ip: args.ip,
    macAddress: args['mac-address'],
    links: args.link,
    deviceCgroupRules: args['device-cgroup-rule'],
    dns: args.dns,
    addHosts: args['add-host'],
    warn: (line) => process.stderr.write(`${line}\n`),
    tty: args.tty,
    interactive: args.interactive,
    autoRemove: args.rm,
    detach: o.detach,
    boot: args.boot ? true : args['no-boot'] ? false : undefined,
    pull: args.pull,
    sources: true,
    platform: args.platform,
    stopSignal: args['stop-signal'],
    stopTimeout: args['stop-timeout'],
    tmpfs: args.tmpfs,
    init: args.init,
    restart: args.restart,
    health: {
      cmd: args['health-cmd'],
      interval: args['health-interval'],
      timeout: args['health-timeout'],
      startPeriod: args['health-start-period'],
      retries: args['health-retries'],
      none: args['no-healthcheck'],
    },
    status: (line) => process.stderr.write(`${line}\n`),
    resources: resourcesFromArgs(args),
  };
}

/** Start loading a module now; if createContainer fails first, a failed load is not reported twice. */
function preload<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export const runCommand: CommandModule<object, Args & { warm?: boolean; 'no-warm'?: boolean }> = {
  command: 'run',
  describe: 'Create and run a new container from an image: racker run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  builder: (y) => y.usage('Usage: racker run [OPTIONS] IMAGE [COMMAND] [ARG...]').options(runOptions).options(warmOptions),
  handler: async (args) => {
    const { target: image, command } = trailing();
    if (!image) throw missingArguments('racker', 'run', 1);
    if (args.warm && args['no-warm']) throw new UsageError('--warm and --no-warm are mutually exclusive');
    if (args.boot && args['no-boot']) throw new UsageError('--boot and --no-boot are mutually exclusive');
    // -d with -t (`run -dit`): no pseudo-terminal, since racker's attach and logs read the
    // log, where a terminal's output never goes; -i keeps stdin open as docker does.
    if (args.detach) args.tty = false;
    requireTerminalForIt(args);
    keepRunningWhenStdoutCloses();
    const ctx = contextFor(args);
    // Load what runs the container while the record is being written, not after it.
    const detached = args.detach ? preload(import('../../lib/container/detached.js')) : undefined;
    const foreground = args.detach ? undefined : preload(Promise.all([import('../../lib/container/supervise.js'), import('../interrupt.js')]));
    // A pool for the image (racker pool create): its warm machine, when the run's options allow.
    if (args.warm || (!args['no-warm'] && !args.detach && existsSync(path.join(ctx.paths.lib, 'pools')))) {
      const { tryWarmRun } = await import('../../lib/pool/warm-run.js');
      const [{ withInterrupt }] = await Promise.all([import('../interrupt.js')]);
      const sinks = { stdout: (c: Buffer) => void process.stdout.write(c), stderr: (c: Buffer) => void process.stderr.write(c) };
      const { value } = await withInterrupt((signal) => tryWarmRun(ctx, containerOptions(args, image, command, { detach: args.detach }), { warm: args.warm, bootTimeoutSeconds: args['boot-timeout'], signal, sinks }));
      if (value !== undefined) {
        process.exitCode = value;
        return;
      }
    }
    const { createContainer } = await import('../../lib/container/create.js');
    const record = await createContainer(ctx, containerOptions(args, image, command, { detach: args.detach }));
    if (detached) {
      const { startDetached } = await detached;
      await startDetached(ctx, record, args['boot-timeout']);
      out(record.id);
      return;
    }
    const [{ supervise }, { withInterrupt }] = await foreground!;
    const { value, exitCode: interrupted } = await withInterrupt((signal) =>
      supervise(ctx, record, {
        bootTimeoutSeconds: args['boot-timeout'],
        signal,
        sinks: { stdout: (c) => void process.stdout.write(c), stderr: (c) => void process.stderr.write(c) },
      }),
    );
    // supervise already turns an interrupt into 128+N.
    process.exitCode = value;
    // A restart policy: the container goes on under a detached supervisor (not after Ctrl-C).
    if (record.config.restartPolicy && interrupted === undefined) {
      const [{ nextRun }, { startDetached }] = await Promise.all([import('../../lib/container/restart.js'), import('../../lib/container/detached.js')]);
      const next = await nextRun(ctx, record.id, value, 100);
      if (next) await startDetached(ctx, next, args['boot-timeout']);
    }
  },
};

/** The detached supervisor of `run -d`: not for users, so hidden from help. */
export const superviseCommand: CommandModule<object, GlobalArgs & { id: string; 'boot-timeout': number }> = {
  command: '__supervise <id>',
  describe: false,
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('boot-timeout', { type: 'number', default: 60 }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { readContainer } = await import('../../lib/container/record.js');
    const { superviseWithRestarts } = await import('../../lib/container/restart.js');
    const record = await readContainer(ctx.paths, args.id);
    if (!record) throw new UsageError(`No such container: ${args.id}`);
    const abort = new AbortController();
    process.on('SIGTERM', () => abort.abort('SIGTERM'));
    process.exitCode = await superviseWithRestarts(ctx, record, { bootTimeoutSeconds: args['boot-timeout'], signal: abort.signal, detached: true });
  },
};

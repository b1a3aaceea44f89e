/** start, stop, kill, rm, wait: one verb each, applied to every container named, like docker. */
import type { CommandModule } from 'yargs';
import type { Context } from '../../lib/context.js';
import type { ContainerRecord } from '../../lib/container/record.js';
import { keepRunningWhenStdoutCloses, oneLine } from '../boundary.js';
import { contextFor, forEachName, out, type GlobalArgs } from '../common.js';
import { printInspected } from '../listing.js';

type Each = (ctx: Context, record: ContainerRecord, name: string) => Promise<string | undefined>;

/** Each name is looked up as a container, then handed to `each`; its line goes to stdout. */
async function forEach(args: GlobalArgs & { containers: string[] }, each: Each): Promise<void> {
  const ctx = contextFor(args);
  const { findContainer } = await import('../../lib/container/record.js');
  await forEachName(args.containers, async (name) => {
    const line = await each(ctx, await findContainer(ctx, name), name);
    if (line !== undefined) out(line);
  });
}

const containers = { type: 'string', array: true, demandOption: true } as const;

export const startCommand: CommandModule<object, GlobalArgs & { containers: string[]; attach?: boolean; interactive?: boolean }> = {
  command: 'start <containers..>',
  describe: 'Start one or more stopped containers (in the background; their files are kept)',
  builder: (y) =>
    y
      .positional('containers', containers)
      .option('attach', { alias: 'a', type: 'boolean', describe: "Print the container's output until it ends, and exit with its code" })
      .option('interactive', { alias: 'i', type: 'boolean', describe: "Attach, and give racker's stdin to a container created with -i" }),
  handler: async (args) => {
    if (args.attach || args.interactive) return startAttachedCommand(args);
    return forEach(args, async (ctx, record, name) => {
      const { startContainer } = await import('../../lib/container/start.js');
      await startContainer(ctx, record);
      return name;
    });
  },
};

async function startAttachedCommand(args: GlobalArgs & { containers: string[]; interactive?: boolean }): Promise<void> {
  const { RackerError } = await import('../../lib/errors.js');
  if (args.containers.length > 1) throw new RackerError('you cannot start and attach multiple containers at once', { exitCode: 1 });
  const ctx = contextFor(args);
  const [{ findContainer }, { startAttached }] = await Promise.all([import('../../lib/container/record.js'), import('../../lib/container/attach.js')]);
  const record = await findContainer(ctx, args.containers[0]!);
  keepRunningWhenStdoutCloses();
  const input = args.interactive && record.config.interactive ? process.stdin : undefined;
  process.exitCode = await startAttached(ctx, record, (e) => void (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.log), input);
  // The command has ended: a terminal left open on stdin must not keep racker waiting.
  if (input) process.stdin.destroy();
}

/** stop's and restart's flags: how long to wait, and what to send instead of SIGTERM. */
const stopOptions = {
  time: { alias: 't', type: 'number', describe: "Seconds to wait before killing it (default: the container's --stop-timeout, else 10)" },
  signal: { alias: 's', type: 'string', describe: 'Signal to send instead of SIGTERM (a system container: instead of powering off)' },
} as const;

async function stopSignal(args: { signal?: string }): Promise<NodeJS.Signals | undefined> {
  if (args.signal === undefined) return undefined;
  const { normalizeSignal } = await import('../../lib/container/control.js');
  return normalizeSignal(args.signal);
}

export const stopCommand: CommandModule<object, GlobalArgs & { containers: string[]; time?: number; signal?: string }> = {
  command: 'stop <containers..>',
  describe: 'Stop one or more running containers (booted ones power off cleanly)',
  builder: (y) =>
    y.positional('containers', containers).options(stopOptions),
  handler: (args) =>
    forEach(args, async (ctx, record, name) => {
      const { stopContainer } = await import('../../lib/container/control.js');
      await stopContainer(ctx, record, args.time, await stopSignal(args));
      return name;
    }),
};

export const restartCommand: CommandModule<object, GlobalArgs & { containers: string[]; time?: number; signal?: string }> = {
  command: 'restart <containers..>',
  describe: 'Restart one or more containers: stop (if running), then start with their files kept',
  builder: (y) =>
    y.positional('containers', containers).options(stopOptions),
  handler: (args) =>
    forEach(args, async (ctx, record, name) => {
      const [{ stopContainer }, { startContainer }, { findContainer }] = await Promise.all([
        import('../../lib/container/control.js'),
        import('../../lib/container/start.js'),
        import('../../lib/container/record.js'),
      ]);
      await stopContainer(ctx, record, args.time, await stopSignal(args));
      await startContainer(ctx, await findContainer(ctx, record.id));
      return name;
    }),
};

export const killCommand: CommandModule<object, GlobalArgs & { containers: string[]; signal: string }> = {
  command: 'kill <containers..>',
  describe: 'Kill one or more running containers',
  builder: (y) => y.positional('containers', containers).option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send' }),
  handler: (args) =>
    forEach(args, async (ctx, record, name) => {
      const { killContainer, normalizeSignal } = await import('../../lib/container/control.js');
      await killContainer(ctx, record, normalizeSignal(args.signal));
      return name;
    }),
};

export const rmCommand: CommandModule<object, GlobalArgs & { containers: string[]; force?: boolean; volumes?: boolean; link?: boolean }> = {
  command: 'rm <containers..>',
  describe: 'Remove one or more containers',
  builder: (y) =>
    y
      .positional('containers', containers)
      .option('force', { alias: 'f', type: 'boolean', describe: 'Force the removal of a running container (uses SIGKILL)' })
      .option('volumes', { alias: 'v', type: 'boolean', describe: 'Remove its anonymous volumes (-v /data) too' })
      .option('link', { alias: 'l', type: 'boolean', describe: 'Remove the specified link (CONTAINER/ALIAS), not a container' }),
  handler: async (args) => {
    if (args.link) {
      const ctx = contextFor(args);
      const { removeLink } = await import('../../lib/container/links.js');
      return forEachName(args.containers, async (name) => {
        await removeLink(ctx, name);
        out(name);
      });
    }
    return forEach(args, async (ctx, record, name) => {
      const { removeContainer } = await import('../../lib/container/remove.js');
      await removeContainer(ctx, record, Boolean(args.force), Boolean(args.volumes));
      return name;
    });
  },
};

export const waitCommand: CommandModule<object, GlobalArgs & { containers: string[] }> = {
  command: 'wait <containers..>',
  describe: 'Block until one or more containers stop, then print their exit codes',
  builder: (y) => y.positional('containers', containers),
  handler: (args) =>
    forEach(args, async (ctx, record) => {
      const [{ waitForExit }, { exitCodeAfter }] = await Promise.all([import('../../lib/container/control.js'), import('../../lib/container/attach.js')]);
      await waitForExit(ctx, record.id);
      // An --rm container vanishes when it ends; its code is kept a while for waiters like this.
      return String(await exitCodeAfter(ctx, record.id));
    }),
};

export const inspectCommand: CommandModule<object, GlobalArgs & { names: string[]; format?: string; type?: 'container' | 'image'; size?: boolean }> = {
  command: 'inspect <names..>',
  describe: 'Return low-level information on containers or images (JSON)',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true, demandOption: true })
      .option('format', { alias: 'f', type: 'string', describe: "A Go template for each object: '{{.State.Status}}', '{{json .Config}}'" })
      .option('type', { type: 'string', choices: ['container', 'image'] as const, describe: 'Look only for containers, or only for images' })
      .option('size', { alias: 's', type: 'boolean', describe: "A container's SizeRw (what it wrote) and SizeRootFs (with its image)" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    // A template error is one line before anything is looked up, as docker's.
    if (args.format) (await import('../../lib/format/template.js')).parseTemplate(args.format);
    const { findContainer } = await import('../../lib/container/record.js');
    const { inspectContainer } = await import('../../lib/container/view.js');
    const { NotFoundError } = await import('../../lib/errors.js');
    const results: unknown[] = [];
    let missing: string | undefined;
    for (const name of args.names) {
      if (args.type !== 'image') {
        try {
          const record = await findContainer(ctx, name);
          const sizes = args.size ? await (await import('../../lib/container/size.js')).containerSize(ctx, record) : {};
          results.push({ ...inspectContainer(record), ...sizes });
          continue;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      try {
        if (args.type === 'container') throw new NotFoundError(name);
        const { findImageNamed } = await import('../../lib/image/store.js');
        const { record } = await findImageNamed(ctx.paths, name);
        // The Engine API's image inspect: docker's fields, RepoTags and RepoDigests among them.
        const { imageInspect, namesById } = await import('../../lib/api/images.js');
        results.push(imageInspect(record, (await namesById(ctx.paths)).get(record.id)));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        missing ??= name;
        process.stderr.write(`racker: No such object: ${oneLine(name)}\n`);
      }
    }
    // docker: one line per object, each through the template.
    await printInspected(args.format, results);
    // `!== undefined`: an empty name ('') is missing too, and must not exit 0.
    if (missing !== undefined) process.exitCode = 1;
  },
};

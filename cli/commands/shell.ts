import type { CommandModule, Options } from 'yargs';
import { FlagError } from '../../lib/errors.js';
import { keepRunningWhenStdoutCloses } from '../boundary.js';
import { contextFor, missingArguments, repeated, type GlobalArgs } from '../common.js';
import { trailing, valueOptionsOf } from '../trailing.js';

export const shellOptions = {
  rm: { type: 'boolean', describe: 'Remove the container when the command exits' },
  reset: { type: 'boolean', describe: 'Remove an existing container first and start afresh' },
  'host-pid': { type: 'boolean', describe: "Run the command in the host's PID namespace: it sees (and may trace) the host's processes (root only; see doc/shell.md)" },
  upgrade: { type: 'boolean', describe: 'Make the container again on the newest IMAGE, keeping your home, desktop forwarding, exports and the packages you installed' },
  'boot-timeout': { type: 'number', default: 60, describe: 'Seconds to wait for systemd to finish booting' },
  'no-desktop': { type: 'boolean', describe: 'A new shell without your desktop session (by default it gets X11, Wayland, the session bus, sound, fonts, the GPU)' },
  'export-app': { type: 'string', describe: 'Put APP\'s desktop entry (/usr/share/applications/APP.desktop inside) in your host menu, started in the shell' },
  'export-bin': { type: 'string', describe: 'Put a launcher for PROGRAM (a path or name inside) in ~/.local/bin' },
  unexport: { type: 'string', describe: 'Remove what --export-app/--export-bin made for NAME' },
} as const satisfies Record<string, Options>;

export const shellValueOptions = valueOptionsOf(shellOptions);

type Args = GlobalArgs & {
  rm?: boolean;
  reset?: boolean;
  upgrade?: boolean;
  'host-pid'?: boolean;
  'boot-timeout': number;
  'no-desktop'?: boolean;
  'export-app'?: string | string[];
  'export-bin'?: string | string[];
  unexport?: string | string[];
};

/** `racker shell ls [-q] [--no-trunc] [--format F]`: its own few flags, after the word. */
function lsFlags(words: readonly string[]): { quiet: boolean; noTrunc: boolean; format?: string } {
  const flags: { quiet: boolean; noTrunc: boolean; format?: string } = { quiet: false, noTrunc: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-q' || w === '--quiet') flags.quiet = true;
    else if (w === '--no-trunc') flags.noTrunc = true;
    else if (w === '--format' && i + 1 < words.length) flags.format = words[++i]!;
    else if (w.startsWith('--format=')) flags.format = w.slice('--format='.length);
    else throw new FlagError(`unknown flag: ${w} (racker shell ls takes -q, --no-trunc and --format)`);
  }
  return flags;
}

export const shellCommand: CommandModule<object, Args> = {
  command: 'shell',
  describe: 'A shell in your own persistent container of IMAGE, with your account, home and desktop: racker shell [OPTIONS] IMAGE [COMMAND] [ARG...] | racker shell ls',
  builder: (y) =>
    y
      .usage(
        'Usage: racker shell [OPTIONS] IMAGE [COMMAND] [ARG...]\n' +
          '       racker shell ls [-q] [--no-trunc] [--format FORMAT]\n\n' +
          'Enter a persistent container of IMAGE (one per user and image, created on first use) as\n' +
          'yourself (under sudo: the user who ran sudo): same uid, gid, name and shell, home directory\n' +
          'mounted, the current directory kept when it is under home, your desktop session forwarded\n' +
          '(X11, Wayland, D-Bus session bus, PulseAudio/PipeWire, fonts, time zone, language).\n' +
          'Without COMMAND: a login shell. IMAGE needs systemd. `racker shell ls` lists your shells.\n' +
          'Inside, racker-host-exec CMD runs CMD on the host, as you.',
      )
      .options(shellOptions),
  handler: async (args) => {
    const { target: image, command } = trailing();
    if (!image) throw missingArguments('racker', 'shell', 1);
    const ctx = contextFor(args);
    if (image === 'ls') {
      const flags = lsFlags(command);
      const [{ hostAccount }, { listShells }, { printListing }] = await Promise.all([
        import('../../lib/container/shell.js'),
        import('../../lib/shell/list.js'),
        import('../listing.js'),
      ]);
      const rows = await listShells(ctx, await hostAccount(ctx), !flags.noTrunc);
      await printListing({ quiet: flags.quiet, ...(flags.format ? { format: flags.format } : {}) }, rows, {
        id: (r) => r.ID,
        headers: { ID: 'CONTAINER ID', Names: 'NAME', Image: 'IMAGE', RunningFor: 'CREATED', Status: 'STATUS', Desktop: 'DESKTOP', Exports: 'EXPORTS' },
        titles: ['CONTAINER ID', 'NAME', 'IMAGE', 'CREATED', 'STATUS', 'DESKTOP', 'EXPORTS'],
        cells: (r) => [r.ID, r.Names, r.Image, r.RunningFor, r.Status, r.Desktop, r.Exports],
      });
      return;
    }
    keepRunningWhenStdoutCloses();
    const { enterShell } = await import('../../lib/container/shell.js');
    process.exitCode = await enterShell(ctx, {
      image,
      // `racker shell IMAGE -- CMD`: the separator is toolbox's habit; it is not part of CMD.
      command: command[0] === '--' ? command.slice(1) : command,
      remove: Boolean(args.rm),
      reset: Boolean(args.reset),
      upgrade: Boolean(args.upgrade),
      hostPid: Boolean(args['host-pid']),
      cwd: process.cwd(),
      tty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      status: (line) => process.stderr.write(`${line}\n`),
      bootTimeoutSeconds: args['boot-timeout'],
      desktop: !args['no-desktop'],
      exportApps: repeated(args['export-app']),
      exportBins: repeated(args['export-bin']),
      unexport: repeated(args.unexport),
    });
  },
};

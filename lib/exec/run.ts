/**
 * Running a tool to completion. Everything else builds argv arrays (lib/tools/*) and
 * hands them here (or to process.ts for long-running container processes), so quoting is
 * never lost and every command is logged (with --debug) and timed in one place.
 *
 * Built on node:child_process rather than execa: execa's module graph (~100 files)
 * took 100-170 ms to load on this machine, which every `racker run` would pay.
 */
import type { spawn as Spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { CommandError, MissingToolError } from '../errors.js';
import { definedEnv } from './env.js';
import { childrenOf, signalIfAlive } from './procfs.js';
import type { Logger } from '../log.js';

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  /** Do not inherit the host environment (only env is passed). */
  cleanEnv?: boolean;
  cwd?: string;
  /** Return non-zero exits instead of throwing. */
  reject?: boolean;
  timeoutMs?: number;
  /** Strings that must never reach a log line or an error message. */
  secrets?: readonly string[];
  /** Called with each line the command prints on stdout, as it prints it. */
  onLine?: (line: string) => void;
  /** The same for stderr (the stderr text is still collected for the result). */
  onStderrLine?: (line: string) => void;
  /**
   * Aborted: SIGTERM to the command's process group (it runs in a group of its own, so a
   * terminal's Ctrl-C reaches it only through racker), and SIGKILL to what is left of the
   * group once the command has ended: a builder's RUN step lives in that group, outside it.
   */
  signal?: AbortSignal;
  /** Pass the terminal through (interactive commands). stdout/stderr are then empty. */
  inherit?: boolean;
  /** Called with the child's PID once it is started (to watch it, e.g. for progress). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  signal?: string;
}

export type Runner = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Debian packages that provide the tools racker runs, for the "install it with" hint. */
export const TOOL_PACKAGES: Record<string, string> = {
  skopeo: 'skopeo',
  umoci: 'umoci',
  mmdebstrap: 'mmdebstrap',
  'systemd-nspawn': 'systemd-container',
  'docker-registry': 'docker-registry',
  buildah: 'buildah',
  mkosi: 'mkosi',
  nsenter: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  xz: 'xz-utils',
  zstd: 'zstd',
  bzip2: 'bzip2',
  mkfifo: 'coreutils',
  cp: 'coreutils',
  script: 'bsdutils',
  journalctl: 'systemd',
  getent: 'libc-bin',
  ip: 'iproute2',
  ps: 'procps',
  nft: 'nftables',
};

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first: a secret that contains another (a password inside user:password) goes whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('***');
  return out;
}

/**
 * node:child_process (with net, dgram and streams: ~7 ms of CPU) loaded by the first command
 * run, not at every start: every command imports this file through lib/context.ts, and
 * `--help`, `--version`, `ps` run nothing.
 */
let spawnFn: typeof Spawn | undefined;
const spawn: typeof Spawn = ((...args: Parameters<typeof Spawn>) =>
  (spawnFn ??= (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).spawn)(...args)) as typeof Spawn;

export function createRunner(log: Logger): Runner {
  return (argv, opts = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const [file, ...args] = argv;
      if (!file) return reject(new Error('run: empty argv'));
      const shown = redact(argv.join(' '), opts.secrets);
      const started = performance.now();
      const env = opts.cleanEnv ? definedEnv(opts.env ?? {}) : { ...process.env, ...definedEnv(opts.env ?? {}) };
      const child = spawn(file, args, {
        env,
        cwd: opts.cwd,
        stdio: opts.inherit ? 'inherit' : [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(opts.signal ? { detached: true } : {}),
      });
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let partial = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out.push(chunk);
        if (!opts.onLine) return;
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        lines.forEach(opts.onLine);
      });
      let partialErr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        err.push(chunk);
        if (!opts.onStderrLine) return;
        const lines = (partialErr + chunk.toString()).split('\n');
        partialErr = lines.pop()!;
        lines.forEach(opts.onStderrLine);
      });
      const group = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          /* the group is gone */
        }
      };
      const onAbort = () => group('SIGTERM');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
      // On 'exit', not 'close': a leftover holding the pipes would delay 'close' for ever.
      child.once('exit', () => opts.signal?.aborted && group('SIGKILL'));
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      // Past the timeout, stop the child's own children too: nsenter does not pass signals
      // on, and the command it started in a container would live on as an orphan that no
      // one in the container may reap (a zombie there holds up the container's end until
      // the host's init gets to it). And stop waiting for the pipes, which they may hold.
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            for (const pid of child.pid ? childrenOf(child.pid) : []) signalIfAlive(pid, 'SIGTERM');
            child.kill('SIGTERM');
            child.stdout?.destroy();
            child.stderr?.destroy();
          }, opts.timeoutMs)
        : undefined;
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(e.code === 'ENOENT' ? new MissingToolError(file, TOOL_PACKAGES[file] ?? file) : e);
      });
      child.once('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (partial && opts.onLine) opts.onLine(partial);
        if (partialErr && opts.onStderrLine) opts.onStderrLine(partialErr);
        log.debug(`${shown} → ${code ?? signal} in ${Math.round(performance.now() - started)} ms`);
        const result: RunResult = {
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
          exitCode: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0),
          ...(signal ? { signal } : {}),
        };
        if (opts.reject !== false && (code !== 0 || signal)) {
          return reject(new CommandError(shown.split(' '), code ?? undefined, signal ?? undefined, redact(result.stderr, opts.secrets)));
        }
        resolve(result);
      });
    });
}

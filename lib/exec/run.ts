/**
 * The only module that starts subprocesses. Everything else builds argv arrays
 * (lib/tools/*) and hands them here, so quoting is never lost and every command
 * is logged (with -v) and timed in one place.
 */
import { execa } from 'execa';
import { CommandError, MissingToolError } from '../errors.js';
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
  /** Pass the terminal through (interactive commands). stdout/stderr are then empty. */
  inherit?: boolean;
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
  nsenter: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  xz: 'xz-utils',
  zstd: 'zstd',
  bzip2: 'bzip2',
  mkfifo: 'coreutils',
};

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

export function createRunner(log: Logger): Runner {
  return async (argv, opts = {}) => {
    const [file, ...args] = argv;
    if (!file) throw new Error('run: empty argv');
    const shown = redact(argv.join(' '), opts.secrets);
    const started = performance.now();
    try {
      const child = execa(file, args, {
        input: opts.input,
        env: opts.env,
        extendEnv: !opts.cleanEnv,
        cwd: opts.cwd,
        reject: false,
        timeout: opts.timeoutMs,
        stripFinalNewline: false,
        ...(opts.inherit
          ? { stdio: 'inherit' as const }
          : { stdin: opts.input === undefined ? ('ignore' as const) : ('pipe' as const), stdout: 'pipe' as const, stderr: 'pipe' as const }),
      });
      if (opts.onLine && child.stdout) {
        let buf = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            opts.onLine!(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
          }
        });
      }
      const r = await child;
      log.debug(`${shown} → ${r.exitCode ?? r.signal} in ${Math.round(performance.now() - started)} ms`);
      if ((r as { code?: string }).code === 'ENOENT') {
        throw new MissingToolError(file, TOOL_PACKAGES[file] ?? file);
      }
      const result: RunResult = {
        stdout: String(r.stdout ?? ''),
        stderr: String(r.stderr ?? ''),
        exitCode: r.exitCode ?? (r.signal ? 128 : 1),
        ...(r.signal ? { signal: r.signal } : {}),
      };
      if (opts.reject !== false && (result.exitCode !== 0 || r.signal)) {
        throw new CommandError(
          redact(shown, opts.secrets).split(' '),
          r.exitCode,
          r.signal ?? undefined,
          redact(result.stderr, opts.secrets),
        );
      }
      return result;
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw new MissingToolError(file, TOOL_PACKAGES[file] ?? file);
      throw err;
    }
  };
}

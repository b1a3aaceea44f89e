/**
 * The RackerError family. Everything racker can explain to a user is one of these;
 * the CLI's single error boundary turns them into a one-line message and an exit code.
 * Anything else is a bug and is shown with its stack only under -v.
 */

/** docker's convention: 125 means "the runtime itself failed", not the command inside. */
export const EXIT_RACKER = 125;

export class RackerError extends Error {
  exitCode: number = EXIT_RACKER;
  /** A second line telling the user what to do about it. */
  hint?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }
}

/** Bad flags, malformed references, invalid values. */
export class UsageError extends RackerError {}

/** A flag the command does not take, found by the command itself (`racker shell ls --x`): docker's exit 125, like the ones the parser finds. */
export class FlagError extends UsageError {}

/** The image has no systemd, and what was asked needs it booted. */
export class NoSystemdError extends UsageError {}

/** No such image, container or label. */
export class NotFoundError extends RackerError {}

/** Not root, or a file racker may not touch. */
export class PermissionError extends RackerError {}

/** Registry unreachable, auth failed, manifest unknown. */
export class RegistryError extends RackerError {}

/** The registry could not be reached at all (DNS, refused, timeout): a bootstrap source may stand in. */
export class RegistryUnreachableError extends RegistryError {}

/** An external program is not installed; the hint names the Debian package. */
export class MissingToolError extends RackerError {
  constructor(
    readonly tool: string,
    readonly debianPackage: string,
  ) {
    super(`${tool} is not installed`, { hint: `install it with: apt-get install ${debianPackage}` });
  }
}

/** A subprocess failed. argv is already redacted. */
export class CommandError extends RackerError {
  constructor(
    readonly argv: readonly string[],
    readonly commandExitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderr: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with status ${commandExitCode}`;
    const detail = lastLine(stderr);
    super(`${argv[0]} ${how}${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * The object is in a state that forbids the request: a name already taken, a running
 * container to remove, an image in use, a container not running for exec or kill. The
 * Engine API answers 409, as dockerd; the CLI exits 125 (or the exit code given).
 */
export class ConflictError extends RackerError {}

/**
 * Refused by rule, whatever is asked of it: removing a pre-defined network, or one that still
 * has containers on it. dockerd's "forbidden": the Engine API answers 403.
 */
export class ForbiddenError extends RackerError {}

/** The machine can't do what was asked (no overlayfs, no systemd in image, …). */
export class TestbedError extends RackerError {}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return (lines[lines.length - 1] ?? '').trim();
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

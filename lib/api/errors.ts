/** racker's errors as Engine API answers: an HTTP status and {"message": …}, like dockerd. */
import { NotFoundError, PermissionError, RackerError, UsageError } from '../errors.js';

/** An error whose HTTP status the handler chose. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function statusOf(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof UsageError) return 400;
  if (err instanceof PermissionError) return 403;
  if (err instanceof RackerError) {
    const m = err.message;
    if (/^conflict|Conflict\.|is already in use|container is running|is not running|is paused|is not paused|already paused/.test(m)) return 409;
    // The command can't be run (docker: "OCI runtime create failed"): the client's fault.
    if (err.exitCode === 126 || err.exitCode === 127) return 400;
    return 500;
  }
  return 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof RackerError && err.hint) return `${err.message} (${err.hint})`;
  return err instanceof Error ? err.message : String(err);
}

/** racker's errors as Engine API answers: an HTTP status and {"message": …}, like dockerd. */
import { ConflictError, ForbiddenError, NotFoundError, PermissionError, RackerError, UsageError } from '../errors.js';

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
  if (err instanceof PermissionError || err instanceof ForbiddenError) return 403;
  // Its kind, never its wording: a reworded message keeps its status.
  if (err instanceof ConflictError) return 409;
  if (err instanceof RackerError) {
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

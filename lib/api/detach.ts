/**
 * Detach keys on the Engine API's hijacked connections (attach, exec start): the spec from
 * the request, and hanging up on the client once it detached.
 */
import type { Readable } from 'node:stream';
import { DetachKeysError, parseDetachKeys } from '../container/detach-keys.js';
import { ApiError } from './errors.js';
import type { StreamOut } from './exchange.js';

/**
 * The keys of a spec (absent or empty: ctrl-p,ctrl-q), or a 400 with dockerd's message:
 * "Invalid detach keys (…) provided" for attach, "Invalid escape keys (…) provided" for
 * exec create (dockerd answers that one with a 500; it is the client's mistake all the same).
 */
export function detachKeysOf(spec: string | null | undefined, what: 'detach' | 'escape'): Buffer {
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    if (err instanceof DetachKeysError) throw new ApiError(400, `Invalid ${what} keys (${err.spec}) provided`);
    throw err;
  }
}

/**
 * Close the client's connection after a detach: what was already written goes out, then the
 * socket closes both ways, so that the client reads end of file and its further writes fail
 * (docker-py's tests check both). `stdin` is the hijacked socket itself.
 */
export function hangUp(out: StreamOut, stdin: Readable): void {
  out.end();
  const socket = stdin as Readable & { destroySoon?: () => void };
  if (typeof socket.destroySoon === 'function') socket.destroySoon();
  else stdin.destroy();
}

/**
 * Node modules that cost a start more than most commands use them, loaded at their first use
 * rather than when a module that imports them loads (doc/performance.md, start-up): a static
 * import makes every command that reaches the module pay, used or not. `racker ps` reaches the
 * container and network records and the state files' writers (which name files and ids with
 * node:crypto) and the network's nft helper (which spawns with node:child_process). Measured
 * alone: node:crypto ~1.5 ms of CPU, node:child_process (with net, dgram and streams) ~2.5 ms.
 * racker's code takes node:crypto's functions from here (a unit test checks).
 */
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

let load: NodeJS.Require | undefined;
/** Node keeps a module's exports after its first load: later calls are a lookup. */
const builtin = <T>(name: string): T => (load ??= createRequire('/'))(name) as T;

export const childProcess = (): typeof import('node:child_process') => builtin('node:child_process');

const crypto = (): typeof Crypto => builtin('node:crypto');
export const createHash: typeof Crypto.createHash = (...args) => crypto().createHash(...args);
export const randomBytes = (size: number): Buffer => crypto().randomBytes(size);

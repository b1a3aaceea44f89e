/**
 * Detach keys: the key sequence (ctrl-p ctrl-q unless the client names another) that ends an
 * attach or an interactive exec without ending what runs. The client's stdin is scanned for
 * it; what comes before is forwarded, the sequence itself is not, and nothing after it is.
 *
 * The spec syntax is docker's (moby/term ToBytes): comma-separated keys, each either a single
 * character (taken as its first byte) or `ctrl-@`, `ctrl-a` … `ctrl-z`, `ctrl-[`, `ctrl-\`,
 * `ctrl-]`, `ctrl-^`, `ctrl-_` (codes 0–31), or `DEL` (127); names are case-sensitive.
 *
 * Unlike docker's escape proxy, which only matches keys that arrive one read at a time (a
 * terminal's keystrokes), the sequence is found anywhere in what is sent, split over chunks
 * or not: a program that writes ctrl-p ctrl-q in one write detaches too.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { UsageError } from '../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The control keys in code order: ctrl-@ is 0, ctrl-a 1, …, ctrl-_ 31. */
const CONTROL_KEYS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** Why a spec is not one: dockerd's wording, and the key it stopped at (ToBytes' "Unknown character") as the hint. */
export class DetachKeysError extends UsageError {
  constructor(
    readonly spec: string,
    readonly key: string,
  ) {
    super(`Invalid detach keys (${spec}) provided`, { hint: `unknown key '${key}': give single characters, ctrl-a … ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_ or DEL, separated by commas` });
  }
}

/** A spec as the bytes to look for; an empty or absent spec is the default. */
export function parseDetachKeys(spec: string | null | undefined): Buffer {
  const text = spec ? spec : DEFAULT_DETACH_KEYS;
  const codes: number[] = [];
  for (const key of text.split(',')) {
    // One character: its first byte (docker takes key[0] of the UTF-8 string).
    if (key.length === 1) codes.push(Buffer.from(key)[0]!);
    else if (key === 'DEL') codes.push(127);
    else if (key.length === 6 && key.startsWith('ctrl-') && CONTROL_KEYS.includes(key[5]!)) codes.push(CONTROL_KEYS.indexOf(key[5]!));
    else throw new DetachKeysError(text, key);
  }
  return Buffer.from(codes);
}

/**
 * The scanner: fed the client's bytes in the chunks they come in, it answers what to forward
 * now and whether the sequence is complete. Bytes that could begin the sequence are held back
 * until the next byte decides; when it differs they are forwarded as they were.
 */
export class DetachMatcher {
  /** The held bytes: the longest end of what was fed that is a start of the keys. */
  private held = Buffer.alloc(0);
  private done = false;

  constructor(readonly keys: Buffer) {
    if (!keys.length) throw new Error('DetachMatcher needs at least one key');
  }

  get detached(): boolean {
    return this.done;
  }

  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.done) return { forward: Buffer.alloc(0), detached: true };
    const forward: number[] = [];
    let held = [...this.held];
    for (const byte of chunk) {
      held.push(byte);
      // Drop from the front until what is held is again a start of the keys (at worst, nothing).
      while (held.length && !this.startsKeys(held)) forward.push(held.shift()!);
      if (held.length === this.keys.length) {
        this.done = true;
        this.held = Buffer.alloc(0);
        return { forward: Buffer.from(forward), detached: true };
      }
    }
    this.held = Buffer.from(held);
    return { forward: Buffer.from(forward), detached: false };
  }

  /** At the end of the input: the bytes still held (a sequence begun and never finished). */
  flush(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }

  private startsKeys(bytes: number[]): boolean {
    return bytes.every((b, i) => this.keys[i] === b);
  }
}

/**
 * A Transform over the matcher: forwards the client's stdin without the sequence and calls
 * `onDetach` once it is complete. After that it forwards nothing more and, with
 * `closeOnDetach`, ends (the reader gets end of file: docker closes an exec's or a StdinOnce
 * container's stdin when no terminal is involved); without it, it stays open and silent, so
 * that what reads it keeps waiting (a terminal session left running).
 */
export class DetachScanner extends Transform {
  private readonly matcher: DetachMatcher;

  constructor(
    keys: Buffer,
    private readonly opts: { onDetach: () => void; closeOnDetach: boolean },
  ) {
    super();
    this.matcher = new DetachMatcher(keys);
  }

  get detached(): boolean {
    return this.matcher.detached;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.matcher.detached) return callback();
    const { forward, detached } = this.matcher.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    if (forward.length) this.push(forward);
    if (detached) {
      if (this.opts.closeOnDetach) this.push(null);
      this.opts.onDetach();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // The input ended: held bytes were not the sequence after all. A detached scanner that
    // stays open never gets here (its input is cut off, not ended).
    const rest = this.matcher.flush();
    if (rest.length) this.push(rest);
    callback();
  }
}

/**
 * The client's stdin through a scanner: what it returns is what the command (or the open
 * stdin) should read. The input ending or going away ends the result as before, unless the
 * client detached; on detach the input is cut off (nothing more is read from it) and
 * `onDetach` runs, which is expected to close the client's connection.
 */
export function scanForDetach(input: Readable, keys: Buffer, opts: { onDetach: () => void; closeOnDetach: boolean }): DetachScanner {
  const scanner = new DetachScanner(keys, {
    closeOnDetach: opts.closeOnDetach,
    onDetach: () => {
      input.unpipe(scanner);
      input.pause();
      opts.onDetach();
    },
  });
  input.pipe(scanner, { end: false });
  // 'end' (the client half-closed) and 'close' (gone) both end the command's input, unless detached.
  const finish = () => {
    if (!scanner.detached && !scanner.writableEnded) scanner.end();
  };
  input.once('end', finish);
  input.once('close', finish);
  return scanner;
}

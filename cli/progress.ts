/**
 * Progress on stderr: on a terminal one live line, rewritten in place (with a bar for byte
 * counts); in CI logs and pipes, plain lines (a rewritten line would be noise there).
 */
import { humanSize } from '../lib/format/human.js';
import type { Meter } from '../lib/progress.js';

export interface Progress {
  /** A line that replaces the previous one on a terminal. */
  line(text: string): void;
  /** A line that stays (above the live line on a terminal). */
  print(text: string): void;
  /** A byte-count bar on a terminal; undefined otherwise, so operations print lines instead. */
  meter?: Meter;
  /** End the live line so the next output starts clean. */
  done(): void;
}

/** docker's progress line: `Extracting [=========>          ]  45.2MB/143MB`, fitted to `columns`. */
export function formatBar(what: string, done: number, total: number | undefined, columns = 80): string {
  if (!total) return `${what} ${humanSize(done)}`;
  const counts = `${humanSize(Math.min(done, total))}/${humanSize(total)}`;
  const width = Math.max(10, Math.min(50, columns - what.length - counts.length - 6));
  const filled = Math.min(width, Math.floor((done / total) * width));
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `${what} [${bar}]  ${counts}`;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    const plain = (t: string) => void stream.write(`${t}\n`);
    return { line: plain, print: plain, done: () => {} };
  }
  let live = false;
  let drawn = 0;
  const width = () => Math.max(20, (stream.columns || 80) - 1);
  const line = (t: string) => {
    stream.write(`\r\x1b[K${t.length > width() ? `${t.slice(0, width() - 1)}…` : t}`);
    live = true;
  };
  return {
    line,
    print: (t) => {
      stream.write(`\r\x1b[K${t}\n`);
      live = false;
    },
    meter: (what, done, total) => {
      // Redraw at most ~12 times a second (and always at the end): a terminal is slow.
      const now = performance.now();
      if (now - drawn < 80 && done !== total) return;
      drawn = now;
      line(formatBar(what, done, total, width()));
    },
    done: () => {
      if (live) stream.write('\r\x1b[K');
      live = false;
    },
  };
}

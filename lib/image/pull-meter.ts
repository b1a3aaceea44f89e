/**
 * Byte counts for a pull's progress bar, read from what the tools leave visible rather
 * than from their output (skopeo draws bars only on its own terminal; umoci prints none):
 * the download is the image's blobs in the shared layout plus skopeo's partial files, the
 * unpack is how much umoci has read (it reads each compressed layer once).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Meter } from '../progress.js';

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** Bytes of `layers` that are in the layout, finished or being written. A few stats. */
export function downloadedBytes(layout: string, layers: readonly { digest: string; size: number }[]): number {
  let done = 0;
  for (const l of layers) {
    const [algorithm, hex] = l.digest.split(':');
    if (algorithm && hex && sizeOf(path.join(layout, 'blobs', algorithm, hex)) === l.size) done += l.size;
  }
  let names: string[] = [];
  try {
    names = readdirSync(layout);
  } catch {
    /* not created yet */
  }
  // skopeo streams each blob into oci-put-blob* at the top of the layout (see pull.ts).
  for (const n of names) if (n.startsWith('oci-put-blob')) done += sizeOf(path.join(layout, n));
  return done;
}

/** Bytes a process has read so far (/proc/PID/io rchar); `fallback` once it is gone. */
export function bytesReadBy(pid: number, fallback = 0): number {
  try {
    const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Report `measure()` to `meter` ten times a second until the returned stop() is called;
 * stop(true) draws the bar full (the work is done), stop(false) leaves it as it was.
 */
export function watch(meter: Meter, what: string, total: number, measure: () => number): (completed: boolean) => void {
  let last = 0;
  const tick = () => {
    last = Math.max(last, Math.min(measure(), total));
    meter(what, last, total);
  };
  tick();
  const timer = setInterval(tick, 100);
  timer.unref();
  return (completed) => {
    clearInterval(timer);
    if (completed) meter(what, total, total);
  };
}

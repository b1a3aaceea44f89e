import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bytesReadBy, downloadedBytes, watch } from '../../lib/image/pull-meter.js';

describe('pull progress measures', () => {
  it('counts finished blobs of the image and skopeo partial files, nothing else', () => {
    const layout = mkdtempSync(path.join(os.tmpdir(), 'racker-meter-'));
    try {
      const a = 'a'.repeat(64);
      const b = 'b'.repeat(64);
      mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
      const layers = [
        { digest: `sha256:${a}`, size: 10 },
        { digest: `sha256:${b}`, size: 20 },
      ];
      expect(downloadedBytes(layout, layers)).to.equal(0);
      writeFileSync(path.join(layout, 'oci-put-blob123'), Buffer.alloc(7));
      writeFileSync(path.join(layout, 'blobs/sha256', 'c'.repeat(64)), Buffer.alloc(99)); // another image's blob
      expect(downloadedBytes(layout, layers)).to.equal(7);
      writeFileSync(path.join(layout, 'blobs/sha256', a), Buffer.alloc(10));
      expect(downloadedBytes(layout, layers)).to.equal(17);
      expect(downloadedBytes(path.join(layout, 'missing'), layers)).to.equal(0);
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }
  });

  it("reads a process's byte count from /proc, with a fallback once it is gone", () => {
    expect(bytesReadBy(process.pid)).to.be.greaterThan(0);
    expect(bytesReadBy(2 ** 30, 42)).to.equal(42);
  });

  it('watch reports at once, never goes backwards or past the total, and ends full only on success', () => {
    const seen: [string, number, number | undefined][] = [];
    const values = [5, 3, 500];
    const stop = watch((w, d, t) => seen.push([w, d, t]), 'Downloading', 100, () => values.shift() ?? 0);
    expect(seen).to.deep.equal([['Downloading', 5, 100]]);
    stop(false);
    expect(seen).to.have.length(1);
    const seen2: number[] = [];
    watch((_w, d) => seen2.push(d), 'Extracting', 100, () => 1)(true);
    expect(seen2).to.deep.equal([1, 100]);
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { census, leaked } from '../helpers/leak-check.js';

describe('the shared leak check (test/helpers/leak-check.ts)', () => {
  it('what is new after, and only that, is a leak', () => {
    expect(leaked(new Set(['a', 'b']), new Set(['b', 'c', 'a', 'd']))).to.deep.equal(['c', 'd']);
    expect(leaked(new Set(['a']), new Set())).to.deep.equal([]);
  });

  it('the census sees a test\'s temporary directory come and go', () => {
    const before = census();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-census-'));
    try {
      expect(leaked(before, census())).to.include(`temporary ${dir}`);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(leaked(before, census())).to.not.include(`temporary ${dir}`);
  });
});

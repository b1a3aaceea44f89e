import { expect } from 'chai';
import { mkdtempSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../../lib/state/atomic.js';

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-atomic-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temp file', async () => {
    const file = path.join(dir, 'sub', 'x.json');
    await writeJsonAtomic(file, { a: 1 });
    await writeJsonAtomic(file, { a: 2 });
    expect(await readJson(file, {})).to.deep.equal({ a: 2 });
    expect(readdirSync(path.dirname(file))).to.deep.equal(['x.json']);
  });

  it('applies the requested mode', async () => {
    const file = path.join(dir, 'secret');
    await writeFileAtomic(file, 'x', 0o600);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('reads a missing file as the fallback, but not a broken one', async () => {
    expect(await readJson(path.join(dir, 'none.json'), { tags: {} })).to.deep.equal({ tags: {} });
    await fs.writeFile(path.join(dir, 'bad.json'), '{');
    let threw = false;
    try {
      await readJson(path.join(dir, 'bad.json'), {});
    } catch {
      threw = true;
    }
    expect(threw).to.equal(true);
  });
});
